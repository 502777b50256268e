// The storage ports of a workspace, one per concern: what the endpoints read and write, and what the admin side writes.
import type {
  ClientRecord,
  CodeRecord,
  ConsentRecord,
  GrantRecord,
  Issuance,
  RefreshTokenRecord,
  SessionRecord,
  TransactionRecord,
  UpstreamLink,
  UserRecord,
} from '../model.js';
import type { IdentitySource } from './identity.js';

/*
 * For every port here: expiry is always enforced by the adapter inside its condition expressions (`now`
 * is passed in, epoch seconds), never left to TTL deletion. Single-use items fail with `AlreadyConsumed`;
 * missing or expired ones with `ConditionFailed`.
 */

/** The registered clients, as the endpoints read them; an adapter may serve them from a per-container cache. */
export interface ClientStore {
  get(clientId: string): Promise<ClientRecord | undefined>;
}

/** The browser side of an authorization: its transaction, the session a login creates, the consent remembered. */
export interface InteractionStore {
  putTransaction(txn: TransactionRecord): Promise<void>;
  /** Returns the transaction if it exists and has not expired. */
  getTransaction(id: string, now: number): Promise<TransactionRecord | undefined>;
  /**
   * Records a successful login on a live transaction and creates the browser session, in one
   * atomic write. Throws `ConditionFailed` if the transaction is gone or expired.
   */
  recordLogin(txnId: string, session: SessionRecord, now: number): Promise<void>;
  /**
   * Takes the recorded login off a live transaction (`sub`, `authTime`, `sessionHash`), so that it asks for a
   * sign-in again; `ConditionFailed` if it is gone or expired.
   */
  forgetLogin(txnId: string, now: number): Promise<void>;
  /** Deletes a live transaction (a `deny`); `ConditionFailed` if it was already gone. */
  discardTransaction(txnId: string, now: number): Promise<void>;

  getSession(idHash: string, now: number): Promise<SessionRecord | undefined>;
  /** Deletes a session (a sign-out); one that is gone already is not an error, so a sign-out can be repeated. */
  endSession(idHash: string): Promise<void>;
  getConsent(sub: string, clientId: string): Promise<ConsentRecord | undefined>;
  /**
   * What answering a signed-in browser takes, read together in one round trip, strongly consistent: the live
   * session `sessionHash` names, the user `sub` names and, with `consentClientId`, the user's consent for that
   * client. Only what is asked for is read; what is missing (or an expired session) is absent from the answer.
   */
  signedInState(query: SignedInQuery, now: number): Promise<SignedInState>;
}

export interface SignedInQuery {
  readonly sub: string;
  readonly sessionHash?: string;
  readonly consentClientId?: string;
}

export interface SignedInState {
  readonly session?: SessionRecord;
  readonly user?: UserRecord;
  readonly consent?: ConsentRecord;
}

/**
 * Authorization codes, the grants they are redeemed into, and what is issued under a grant. A grant is a token
 * family: its rotated refresh tokens and its access tokens refer to its id, and revoking it revokes them all.
 */
export interface GrantStore {
  /**
   * Issues an authorization code. With `transactionId` the live transaction is consumed in the
   * same atomic write (exactly once: a second call fails with `ConditionFailed`); with `consent`
   * the granted scopes are remembered in it too.
   */
  issueCode(code: CodeRecord, opts: { transactionId?: string; consent?: ConsentRecord }, now: number): Promise<void>;

  /** Reads a code (consumed or not) so its bindings can be checked before anything is signed. */
  getCode(codeHash: string): Promise<(CodeRecord & { consumed: boolean }) | undefined>;
  /**
   * Consumes a code and writes what was issued from it (the grant, and its first refresh token if any),
   * atomically. `AlreadyConsumed` (with the code's grant id) on a second redemption; `ConditionFailed` if
   * missing or expired, or if the grant was revoked before it was written.
   */
  redeemCode(codeHash: string, issuance: Issuance, now: number): Promise<void>;
  /**
   * Marks a grant revoked (also before the grant record exists, so a racing redemption loses). From then on
   * its refresh tokens cannot be rotated and its access tokens stand no more (`tokenStanding`).
   */
  revokeGrant(grantId: string, now: number): Promise<void>;

  /** Reads a refresh token (consumed, expired or not) so its bindings can be checked before anything is signed. */
  getRefreshToken(tokenHash: string): Promise<(RefreshTokenRecord & { consumed: boolean }) | undefined>;
  /**
   * Rotation, in one atomic write: consumes the presented token, writes its `successor` (same grant and
   * client), and checks that the grant exists, has not expired and was not revoked. `AlreadyConsumed` (with
   * the grant id) when the presented token was used already, however long ago; `ConditionFailed` when it is
   * missing or expired, or the grant is revoked or over.
   */
  rotateRefreshToken(presentedHash: string, successor: RefreshTokenRecord, now: number): Promise<void>;
  /** Revokes one access token by its `jti` until `expiresAt`, its `exp`; revoking it again changes nothing. */
  revokeAccessToken(jti: string, expiresAt: number): Promise<void>;
  /** What decides whether an issued token still stands, read together in one round trip. */
  tokenStanding(refs: TokenRefs): Promise<TokenStanding>;
}

/** What a token names: its `jti` (access tokens), its grant and its user; only what is given is read. */
export interface TokenRefs {
  readonly jti?: string;
  readonly grantId?: string;
  readonly sub?: string;
}

export interface TokenStanding {
  /** Whether the `jti` was revoked (RFC 7009). */
  readonly jtiRevoked: boolean;
  /** The grant as stored, `revokedAt` set once revoked; undefined when not asked for or gone. */
  readonly grant?: Partial<GrantRecord> & { readonly revokedAt?: number };
  readonly user?: UserRecord;
}

/**
 * Failure counters, per key (e.g. `user:<hash>`, `ip:1.2.3.4`, `client:<id>`), each counting within its own window;
 * and, for keys counted with `countFailure`, this container's memory of those over their limit.
 */
export interface LoginThrottle {
  /**
   * Counts one login attempt on each key's counter before the password is checked, and returns each
   * count including this attempt. Atomic per key, so parallel guesses each see their own count and none
   * slips past the limit. A counter starts a new window of `windowSeconds` when its window has ended.
   */
  countAttempt(keys: readonly string[], windowSeconds: number, now: number): Promise<number[]>;
  /** Takes one attempt back from each live counter: a successful login is not a failure. */
  forgive(keys: readonly string[], now: number): Promise<void>;
  /**
   * Counts one failure on `key` (atomically, as `countAttempt`) and returns the count including it. Once the count
   * reaches `limit`, this container remembers the key as locked out until the counter's window ends.
   */
  countFailure(key: string, windowSeconds: number, limit: number, now: number): Promise<number>;
  /**
   * The end of the window (epoch seconds) of a key this container saw reach its limit, while it lasts; otherwise
   * undefined. Memory only: no storage call, so whoever asks before succeeding pays nothing for it.
   */
  lockedUntil(key: string, now: number): number | undefined;
}

/**
 * Items consumed at most once, named by a kind and an id (e.g. kind `par` with a `request_uri`, kind `jti`
 * with a client assertion's `jti`). Consuming is one conditional write: of any number of attempts on a live
 * item exactly one succeeds and every other fails with `AlreadyConsumed`, also once the item has expired,
 * so a late replay is still recognised as one. An item that has expired unconsumed cannot be consumed
 * (`ConditionFailed`).
 */
export interface SingleUse {
  /** Stores `record` to be consumed once before `expiresAt`; `ConditionFailed` if the item exists already. */
  put(kind: string, id: string, record: Readonly<Record<string, unknown>>, expiresAt: number): Promise<void>;
  /**
   * Consumes the item and returns the record `put` with it. Without `create` the item must have been put
   * (a pushed request, taken once): `ConditionFailed` if it is missing. With `create` an item never put is
   * consumed too, by writing it consumed and kept until `create.expiresAt` (a `jti`, marked as used);
   * `ConditionFailed` if that has already passed.
   */
  consume<T extends object>(
    kind: string,
    id: string,
    now: number,
    create?: { readonly expiresAt: number },
  ): Promise<T | undefined>;
}

/** Changes the admin tooling may make to a user; the username and sub never change. */
export interface UserChanges {
  readonly passwordHash?: string;
  readonly disabled?: boolean;
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Signs the user out everywhere as of this time (epoch seconds), see `UserRecord.signedOutAt`. */
  readonly signedOutAt?: number;
}

/** The admin side: clients and users as the deploy-time sync, the admin CLI and the local seed write them. */
export interface Directory {
  /** Creates or replaces a client; this container's client cache sees it at once. */
  putClient(record: ClientRecord): Promise<void>;
  /** Removes a client; removing an unknown one is not an error, so a sync can be re-run. */
  deleteClient(clientId: string): Promise<void>;
  listClients(): Promise<ClientRecord[]>;
  /**
   * Writes the user and reserves its username together; `ConditionFailed` if the sub is taken, or the username by
   * `usernameKey` (usernames are case-insensitive).
   */
  createUser(user: UserRecord): Promise<void>;
  /**
   * Applies the given changes to the user `username` names (by `usernameKey`) and returns the updated user;
   * `ConditionFailed` if there is no such user.
   */
  updateUser(username: string, changes: UserChanges): Promise<UserRecord>;
  /** Every user, password hashes included: for the admin tooling only. */
  listUsers(): Promise<UserRecord[]>;
}

/**
 * The users of identity sources, as their sign-ins create and refresh them. A linked user is found by its link
 * alone, never by an email or any other claim.
 */
export interface LinkedUsers {
  /** The user linked to exactly this (source, upstream `sub`), disabled or not. */
  findLinked(link: UpstreamLink): Promise<UserRecord | undefined>;
  /**
   * Creates a linked user (`link` set) with its username reservation, in one atomic write; `ConditionFailed` if the
   * sub or the username is taken (a concurrent first sign-in of the same account, say).
   */
  createLinked(user: UserRecord): Promise<void>;
  /** Replaces the claims of a linked user that is not disabled, and returns it; `ConditionFailed` otherwise. */
  refreshClaims(sub: string, claims: Readonly<Record<string, unknown>>): Promise<UserRecord>;
}

/** The storage ports the endpoints use: everything but the admin-only directory. */
export interface RuntimeStores {
  readonly clients: ClientStore;
  readonly interactions: InteractionStore;
  readonly grants: GrantStore;
  readonly throttle: LoginThrottle;
  readonly singleUse: SingleUse;
  readonly users: IdentitySource;
  readonly linkedUsers: LinkedUsers;
}

/** Every storage port of one workspace, as a storage adapter builds them together. */
export interface Stores extends RuntimeStores {
  readonly directory: Directory;
}

// How the core persists a workspace's clients, interactions, codes, grants and login counters; adapters implement it.
import type {
  ClientRecord,
  CodeRecord,
  ConsentRecord,
  Issuance,
  SessionRecord,
  TransactionRecord,
} from '../model.js';

/**
 * Persistence for one workspace. Expiry is always enforced by the adapter inside its condition
 * expressions (`now` is passed in, epoch seconds), never left to TTL deletion.
 * Single-use items fail with `AlreadyConsumed`; missing or expired ones with `ConditionFailed`.
 */
export interface Store {
  getClient(clientId: string): Promise<ClientRecord | undefined>;

  putTransaction(txn: TransactionRecord): Promise<void>;
  /** Returns the transaction if it exists and has not expired. */
  getTransaction(id: string, now: number): Promise<TransactionRecord | undefined>;
  /**
   * Records a successful login on a live transaction and creates the browser session, in one
   * atomic write. Throws `ConditionFailed` if the transaction is gone or expired.
   */
  recordLogin(txnId: string, session: SessionRecord, now: number): Promise<void>;
  /** Deletes a live transaction (a `deny`); `ConditionFailed` if it was already gone. */
  discardTransaction(txnId: string, now: number): Promise<void>;

  getSession(idHash: string, now: number): Promise<SessionRecord | undefined>;
  getConsent(sub: string, clientId: string): Promise<ConsentRecord | undefined>;

  /**
   * Issues an authorization code. With `transactionId` the live transaction is consumed in the
   * same atomic write (exactly once: a second call fails with `ConditionFailed`); with `consent`
   * the granted scopes are remembered in it too.
   */
  issueCode(
    code: CodeRecord,
    opts: { transactionId?: string; consent?: ConsentRecord },
    now: number,
  ): Promise<void>;

  /** Reads a code (consumed or not) so its bindings can be checked before anything is signed. */
  getCode(codeHash: string): Promise<(CodeRecord & { consumed: boolean }) | undefined>;
  /**
   * Consumes a code and writes what was issued from it, atomically. `AlreadyConsumed` (with the
   * code's grant id) on a second redemption; `ConditionFailed` if missing or expired.
   */
  redeemCode(codeHash: string, issuance: Issuance, now: number): Promise<void>;
  /**
   * Marks a grant revoked (also before the grant record exists, so a racing redemption loses). Today the
   * record only stops that redemption; refresh tokens and introspection will consult it when they land.
   */
  revokeGrant(grantId: string, now: number): Promise<void>;

  /**
   * Counts one login attempt on each key's counter (e.g. `user:<hash>`, `ip:1.2.3.4`) before the password
   * is checked, and returns each count including this attempt. Atomic per key, so parallel guesses each
   * see their own count and none slips past the limit. A counter starts a new window of `windowSeconds`
   * when its window has ended.
   */
  countLoginAttempt(keys: readonly string[], windowSeconds: number, now: number): Promise<number[]>;
  /** Takes one attempt back from each live counter: a successful login is not a failure. */
  forgiveLoginAttempt(keys: readonly string[], now: number): Promise<void>;
}

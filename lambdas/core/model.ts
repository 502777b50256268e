// The records the core reads and writes through its ports; storage-neutral and camelCase.

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** One type describes a client everywhere: construct props, the local config file, admin tooling. */
export interface ClientRegistration {
  readonly clientId: string;
  /** Shown on the consent page. @default clientId */
  readonly clientName?: string;
  /** The application's home page (OIDC Dynamic Registration `client_uri`): error pages link back to it. @default none */
  readonly clientUri?: string;
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  /** Exact-match list of redirect URIs. */
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly GrantType[];
  /** Scopes this client may request. */
  readonly scopes: readonly string[];
  /** Default `aud` of access tokens when the request carries no `resource`. @default [issuer] */
  readonly audience?: readonly string[];
  /** First-party clients skip the consent page. @default false */
  readonly firstParty?: boolean;
  /** `native` clients may vary the port of loopback redirect URIs (RFC 8252 §7.3). @default 'web' */
  readonly applicationType?: 'web' | 'native';
  /**
   * Whether authorization requests must carry a PKCE challenge. Only a confidential client may turn it off (the
   * classic web app with a backend); a challenge it sends anyway is enforced all the same. @default true
   */
  readonly requirePkce?: boolean;
  /** Whether the client must push its authorization requests first (RFC 9126 §6). @default false */
  readonly requirePar?: boolean;
  /** Exact-match list of where RP-initiated logout may send the browser afterwards. @default [] */
  readonly postLogoutRedirectUris?: readonly string[];
  /** The public keys a `private_key_jwt` client signs its assertions with; exactly one of `jwks` and `jwksUri`. @default none */
  readonly jwks?: ClientJwkSet;
  /** Where a `private_key_jwt` client publishes its JWK Set: https, or http on loopback. @default none */
  readonly jwksUri?: string;
  /**
   * May call the introspection endpoint (RFC 7662): for resource servers, which learn from it whether a token
   * still stands. Confidential clients only. @default false
   */
  readonly introspection?: boolean;
}

/** A public JSON Web Key (RFC 7517 §4) as a client registers or publishes it; private members are refused. */
export interface ClientJwk {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}

/** A JWK Set (RFC 7517 §5). */
export interface ClientJwkSet {
  readonly keys: readonly ClientJwk[];
}

/** A client as stored: the registration plus the hash of its secret, never the secret. */
export interface ClientRecord extends ClientRegistration {
  readonly secretHash?: string;
}

/** The upstream account a federated user is linked to: one local user per (source, upstream `sub`). */
export interface UpstreamLink {
  /** The identity source's `id`. */
  readonly sourceId: string;
  /** The upstream `sub`, exactly as the source's ID tokens carry it; never our `sub`. */
  readonly sub: string;
}

export interface UserRecord {
  /** Stable subject identifier; never reassigned. */
  readonly sub: string;
  /** For a federated user, `{sourceId}:{upstream sub}` (see `linkedUsername`): it signs in at its source only. */
  readonly username: string;
  /** `scrypt$…` string from `hashPassword`; absent for a federated user, who has no password here. */
  readonly passwordHash?: string;
  /** Set on a federated user, created at its first sign-in through an identity source. */
  readonly link?: UpstreamLink;
  /** OIDC standard claims (`name`, `email`, `email_verified`, …) released by scope. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly disabled?: boolean;
  /**
   * When the user was last signed out everywhere (epoch seconds): sessions, grants and tokens resting on an
   * authentication at or before it no longer count.
   */
  readonly signedOutAt?: number;
}

export type Prompt = 'none' | 'login' | 'consent';

/** A validated authorization request, as carried from /oauth2/authorize to code issuance. */
export interface AuthorizationRequest {
  readonly clientId: string;
  /** The redirect URI the response goes to (the registered one when the request omitted it). */
  readonly redirectUri: string;
  /** Whether the request named `redirect_uri`; if so the token request must repeat it. */
  readonly redirectUriSent: boolean;
  /** Empty when the request left `scope` out: plain OAuth 2.0 for no scopes, so no ID token. */
  readonly scopes: readonly string[];
  readonly state?: string;
  readonly nonce?: string;
  /** Absent only for a client registered with `requirePkce: false` that sent none. */
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: 'S256';
  readonly prompt: readonly Prompt[];
  /** Seconds. */
  readonly maxAge?: number;
  readonly loginHint?: string;
  /** The user a verified `id_token_hint` names (OIDC Core §3.1.2.1): a session of anyone else does not answer. */
  readonly idTokenHintSub?: string;
  /** RFC 8707 resource indicators. */
  readonly resources: readonly string[];
  /** The `ui_locales` sent (OIDC Core §3.1.2.1): the login and consent pages of the transaction follow it. */
  readonly uiLocales?: string;
}

/** Epoch seconds throughout the records: that is what the TTL attribute and JWTs use. */
export interface TransactionRecord {
  readonly id: string;
  readonly request: AuthorizationRequest;
  /** Anti-CSRF token embedded in the forms. */
  readonly csrf: string;
  /** SHA-256 of the browser-binding cookie value set when the transaction started. */
  readonly browserHash: string;
  /** Set once the user has logged in for this transaction. */
  readonly sub?: string;
  readonly authTime?: number;
  /**
   * The hash of the session the login rests on (the one the user came in with, or the one the login created): set
   * with `sub`. The code is issued only while this browser still holds that session and it is live.
   */
  readonly sessionHash?: string;
  readonly expiresAt: number;
}

export interface SessionRecord {
  /** SHA-256 of the session cookie value. */
  readonly idHash: string;
  readonly sub: string;
  readonly authTime: number;
  readonly expiresAt: number;
}

export interface ConsentRecord {
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly updatedAt: number;
}

export interface CodeRecord {
  /** SHA-256 of the code. */
  readonly codeHash: string;
  /** Grant (token family) every token issued from this code belongs to. */
  readonly grantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly redirectUriSent: boolean;
  /**
   * S256 PKCE challenge. Absent only when a confidential client registered with `requirePkce: false` sent none:
   * then no `code_verifier` may be presented either.
   */
  readonly codeChallenge?: string;
  readonly scopes: readonly string[];
  readonly sub: string;
  readonly authTime: number;
  readonly nonce?: string;
  readonly audience: readonly string[];
  readonly expiresAt: number;
}

/** A grant: the family of tokens issued from one authorization; revoking it kills them all. */
export interface GrantRecord {
  readonly grantId: string;
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  /** The `aud` values its tokens may carry: the resources of the authorization request, or the client's default. */
  readonly audience: readonly string[];
  /** When the user authenticated for it: a sign-out after that ends it. */
  readonly authTime: number;
  readonly createdAt: number;
  /** Its absolute end: no refresh token of the family is good after it. */
  readonly expiresAt: number;
}

/** A refresh token, stored under its hash only; each use consumes it and writes its successor (rotation). */
export interface RefreshTokenRecord {
  /** SHA-256 of the token. */
  readonly tokenHash: string;
  /** The grant (token family) it belongs to. */
  readonly grantId: string;
  readonly clientId: string;
  readonly sub: string;
  /** The grant's scopes: a refresh request may narrow them for the access token it gets, never widen them. */
  readonly scopes: readonly string[];
  /** The grant's audience: a refresh request's `resource` values must be among them. */
  readonly audience: readonly string[];
  readonly authTime: number;
  readonly issuedAt: number;
  /** Its idle end: unused until then, it is dead. Never after `grantExpiresAt`. */
  readonly expiresAt: number;
  /** The grant's absolute end, which every successor inherits. */
  readonly grantExpiresAt: number;
}

/** Everything a successful code redemption writes, atomically with consuming the code. */
export interface Issuance {
  readonly grant: GrantRecord;
  /** The first refresh token of the family, when the client gets one. */
  readonly refreshToken?: RefreshTokenRecord;
}

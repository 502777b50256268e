// The public shape of a client registration: the core's `ClientRegistration` in types every jsii language has
// (mutable arrays, enums, string-indexed maps). Enum members are the protocol's own strings, so a registration
// is the same JSON in the construct, the local config file and the admin tooling.
import type { ClientRegistration as CoreClientRegistration } from '../lambdas/core/model.js';

/** An OAuth grant type a client may use at the token endpoint. */
export enum GrantType {
  /** The authorization code grant, with PKCE (RFC 6749 §4.1, RFC 7636). */
  AUTHORIZATION_CODE = 'authorization_code',
  /** Refresh tokens, rotated at every use (RFC 6749 §6). */
  REFRESH_TOKEN = 'refresh_token',
  /** The client's own tokens, without a user (RFC 6749 §4.4); confidential clients only. */
  CLIENT_CREDENTIALS = 'client_credentials',
}

/** How a client authenticates at the token, revocation, introspection and PAR endpoints. */
export enum ClientAuthMethod {
  /** A public client (a browser or native app): no secret, PKCE is its proof. */
  NONE = 'none',
  /** A generated secret in the `Authorization: Basic` header. */
  CLIENT_SECRET_BASIC = 'client_secret_basic',
  /** A generated secret in the form body. */
  CLIENT_SECRET_POST = 'client_secret_post',
  /** A JWT signed with the client's private key (RFC 7523); see `jwks` and `jwksUri`. */
  PRIVATE_KEY_JWT = 'private_key_jwt',
}

/** What runs the client, which decides how its loopback redirect URIs match. */
export enum ApplicationType {
  /** A web application: redirect URIs match exactly. */
  WEB = 'web',
  /** A native application: the port of a loopback redirect URI may vary (RFC 8252 §7.3). */
  NATIVE = 'native',
}

/** A JWK Set (RFC 7517 §5): the public keys of a `private_key_jwt` client. */
export interface ClientJwkSet {
  /** Public JWKs (`kty`, `kid`, `alg`, `n`/`e` or `crv`/`x`/`y`, …); private members are refused. */
  readonly keys: { [member: string]: any }[];
}

/** A client of the workspace, as the `clients` prop and `addClient` declare it. */
export interface ClientRegistration {
  readonly clientId: string;
  /** Shown on the consent page. @default - the client id */
  readonly clientName?: string;
  /** The application's home page (OIDC Dynamic Registration `client_uri`): error pages link back to it. @default - none */
  readonly clientUri?: string;
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  /** Exact-match list of redirect URIs. */
  readonly redirectUris: string[];
  readonly grantTypes: GrantType[];
  /** Scopes this client may request. */
  readonly scopes: string[];
  /** Default `aud` of access tokens when the request carries no `resource`. @default - the issuer */
  readonly audience?: string[];
  /** First-party clients skip the consent page. @default false */
  readonly firstParty?: boolean;
  /** `NATIVE` clients may vary the port of loopback redirect URIs (RFC 8252 §7.3). @default ApplicationType.WEB */
  readonly applicationType?: ApplicationType;
  /**
   * Whether authorization requests must carry a PKCE challenge. Only a confidential client may turn it off (the
   * classic web app with a backend); a challenge it sends anyway is enforced all the same.
   * @default true
   */
  readonly requirePkce?: boolean;
  /** Whether the client must push its authorization requests first (RFC 9126 §6). @default false */
  readonly requirePar?: boolean;
  /** Exact-match list of where RP-initiated logout may send the browser afterwards. @default - none */
  readonly postLogoutRedirectUris?: string[];
  /**
   * The public keys a `PRIVATE_KEY_JWT` client signs its assertions with; exactly one of `jwks` and `jwksUri`.
   * @default - none
   */
  readonly jwks?: ClientJwkSet;
  /** Where a `PRIVATE_KEY_JWT` client publishes its JWK Set: https, or http on loopback. @default - none */
  readonly jwksUri?: string;
  /**
   * May call the introspection endpoint (RFC 7662): for resource servers, which learn from it whether a token
   * still stands. Confidential clients only.
   * @default false
   */
  readonly introspection?: boolean;
}

/**
 * The core's registration, once `checkClient` has accepted the value: the enum members are the core's strings
 * and the JWKs were checked member by member, so only the static types differ.
 */
export function coreRegistration(registration: ClientRegistration): CoreClientRegistration {
  return registration as CoreClientRegistration;
}

// The rules for a client registration, a username and a tenant or workspace id, wherever they are declared.
import { createPublicKey } from 'node:crypto';
import { FieldChecker, type FieldProblem, type Fields, isFields } from './field-checker.js';
import type { ClientAuthMethod, ClientRegistration, GrantType } from '../model.js';

/** Every field of a ClientRegistration; typed so a new field must be added here to pass validation. */
const REGISTRATION_FIELDS = {
  clientId: 'required',
  clientName: 'optional',
  clientUri: 'optional',
  tokenEndpointAuthMethod: 'required',
  redirectUris: 'required',
  grantTypes: 'required',
  scopes: 'required',
  audience: 'optional',
  firstParty: 'optional',
  applicationType: 'optional',
  jwks: 'optional',
  jwksUri: 'optional',
  requirePkce: 'optional',
  requirePar: 'optional',
  postLogoutRedirectUris: 'optional',
  introspection: 'optional',
} as const satisfies Record<keyof ClientRegistration, 'required' | 'optional'>;

type RegistrationField = keyof typeof REGISTRATION_FIELDS;

const FIELD_NAMES = Object.keys(REGISTRATION_FIELDS) as RegistrationField[];
const REQUIRED_FIELDS = FIELD_NAMES.filter((name) => REGISTRATION_FIELDS[name] === 'required');
const OPTIONAL_FIELDS = FIELD_NAMES.filter((name) => REGISTRATION_FIELDS[name] === 'optional');

export const isRegistrationField = (name: string): name is RegistrationField =>
  Object.hasOwn(REGISTRATION_FIELDS, name);

/** The methods the token endpoint accepts today. */
export const AUTH_METHODS: readonly ClientAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];
/**
 * What a `private_key_jwt` assertion may be signed with: asymmetric algorithms only. `none` proves nothing,
 * and an HMAC keyed with a public key proves nothing either, since anyone can read that key.
 */
export const CLIENT_ASSERTION_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
type ClientAssertionAlg = (typeof CLIENT_ASSERTION_ALGS)[number];
/** RFC 7517 §9.3 and RFC 7518 §6: the members that carry private or symmetric key material. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** The key type, and for elliptic curves the curve, each assertion algorithm needs (RFC 7518 §3, RFC 8037). */
const ALG_KEYS: Record<ClientAssertionAlg, { readonly kty: string; readonly crv?: string }> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
/** Asymmetric key types only: an `oct` key is a shared secret, which a registration must not carry. */
const KEY_TYPES = ['RSA', 'EC', 'OKP'];
const KEY_CURVES: Readonly<Record<string, readonly string[]>> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519'],
};
/** RFC 7518 §3.3: shorter RSA keys are refused by verifiers (jose among them), so they are refused here first. */
const MIN_RSA_BITS = 2048;
/** The methods that authenticate with a shared secret. */
const SECRET_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
export const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
/** RFC 6749 §2.2 and appendix A: unreserved characters keep ids safe in URLs and Basic credentials. */
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MAX_CLIENT_NAME_LENGTH = 200;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** http is for loopback only (OAuth 2.1 §2.3.1): a local app, never a remote one over plain text. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** An issuer path segment, as in a DNS label: lower case so URLs and table names never differ only by case. */
const PATH_SEGMENT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** No control characters anywhere, no white space at either end: what a sign-in form can reproduce. */
const USERNAME = /^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/;

export const isAuthMethod = (value: unknown): value is ClientAuthMethod =>
  AUTH_METHODS.includes(value as ClientAuthMethod);

/** Whether clients of this method authenticate with a secret (generated at deploy time, or configured locally). */
export const usesClientSecret = (method: ClientAuthMethod): boolean => SECRET_METHODS.includes(method);

/**
 * Whether the client's authorization requests must carry a PKCE challenge: only a confidential client can do
 * without, so a public client's `requirePkce: false` (refused at registration) would change nothing anyway.
 */
export const pkceRequired = (client: Pick<ClientRegistration, 'requirePkce' | 'tokenEndpointAuthMethod'>): boolean =>
  client.requirePkce !== false || client.tokenEndpointAuthMethod === 'none';

/** The rule of tenant and workspace ids, which are path segments of the issuer and part of table names. */
export function idProblem(id: string): string | undefined {
  return PATH_SEGMENT_ID.test(id)
    ? undefined
    : 'must be 1-63 characters of a-z, 0-9 and "-", not starting or ending with "-" (it is a path segment of the issuer URL)';
}

/** Usernames are DynamoDB key parts (at most 2048 bytes); the sign-in form looks up nothing longer than this. */
export const MAX_USERNAME_BYTES = 512;

/** The rule of usernames: people type them into the sign-in form. */
export function usernameProblem(username: string): string | undefined {
  if (username === '') return 'must not be empty';
  if (Buffer.byteLength(username) > MAX_USERNAME_BYTES) return `must be at most ${MAX_USERNAME_BYTES} bytes`;
  if (!USERNAME.test(username)) return 'must not contain control characters or start or end with white space';
  return undefined;
}

/**
 * What identifies a username: its Unicode NFC form in lower case. Usernames are case-insensitive, as in most
 * identity systems (`Alice` and `alice` are one user, however either is typed or encoded), so uniqueness (the
 * username index), the sign-in lookup and the per-username login throttle all go by this one key; the username as
 * registered is kept for display.
 */
export const usernameKey = (username: string): string => username.normalize('NFC').toLowerCase();

/** Whether a presented client_id could be registered at all; anything else is refused before a lookup. */
export const isClientId = (id: string): boolean => CLIENT_ID.test(id);

const clientIdProblem = (id: string) => (isClientId(id) ? undefined : 'must be 1-128 letters, digits or . _ ~ -');

const scopeProblem = (scope: string) =>
  SCOPE_TOKEN.test(scope) ? undefined : 'must be a scope token (printable ASCII, no spaces, quotes or backslashes)';

const clientNameProblem = (name: string) =>
  name.length > MAX_CLIENT_NAME_LENGTH ? `must be at most ${MAX_CLIENT_NAME_LENGTH} characters` : undefined;

/** An absolute URI without fragment, parsed; otherwise what is wrong with it. */
function absoluteUri(uri: string): URL | string {
  if (!URL.canParse(uri)) return 'must be an absolute URI';
  if (uri.includes('#')) return 'must not contain a fragment (#)';
  return new URL(uri);
}

const isHttpsOrLoopback = (url: URL): boolean =>
  url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));

/**
 * RFC 6749 §3.1.2 and OAuth 2.1 §2.3.1: absolute, no fragment; https, loopback http, or for a native app a
 * private-use scheme, which RFC 8252 §7.1 makes a reverse domain name. The dot that requires is also what
 * keeps out schemes that run or read something in the browser instead (javascript:, data:, vbscript:, file:).
 */
function redirectUriProblem(uri: string, native: boolean): string | undefined {
  const url = absoluteUri(uri);
  if (typeof url === 'string') return url;
  const allowed = isHttpsOrLoopback(url) || (native && url.protocol.includes('.'));
  return allowed
    ? undefined
    : 'must be https, http on localhost / 127.0.0.1 / [::1], or for a native client a private-use scheme like com.example.app:';
}

/** https, or http on loopback: the keys that authenticate a client must not travel in plain text over a network. */
function jwksUriProblem(uri: string): string | undefined {
  const url = absoluteUri(uri);
  if (typeof url === 'string') return url;
  return isHttpsOrLoopback(url) ? undefined : 'must be https, or http on localhost / 127.0.0.1 / [::1]';
}

/** The client's home page, linked from error pages: https, or http on loopback, so it can be nothing but a web page. */
function clientUriProblem(uri: string): string | undefined {
  const url = absoluteUri(uri);
  if (typeof url === 'string') return url;
  return isHttpsOrLoopback(url) ? undefined : 'must be https, or http on localhost / 127.0.0.1 / [::1]';
}

/** The private members `jwk` carries, if any: a key with them must never be stored or trusted as a public key. */
export const privateJwkMembers = (jwk: Fields): string[] => PRIVATE_JWK_MEMBERS.filter((m) => jwk[m] !== undefined);

/** One public signing key of a JWK Set; no problem ever repeats key material. */
function checkPublicJwk(c: FieldChecker, jwk: unknown, path: string): void {
  if (!isFields(jwk)) {
    c.report(path, 'must be an object (a JWK)');
    return;
  }
  const secret = privateJwkMembers(jwk);
  for (const member of secret) c.report(`${path}.${member}`, 'is private key material: register public keys only');
  if (jwk.kty === undefined) c.report(`${path}.kty`, 'is required');
  const typed = c.oneOf(jwk.kty, `${path}.kty`, KEY_TYPES);
  if (jwk.use !== undefined) c.oneOf(jwk.use, `${path}.use`, ['sig']);
  if (jwk.kid !== undefined) c.string(jwk.kid, `${path}.kid`);
  const curves = typed ? KEY_CURVES[jwk.kty as string] : undefined;
  if (curves !== undefined) {
    if (jwk.crv === undefined) c.report(`${path}.crv`, 'is required');
    else c.oneOf(jwk.crv, `${path}.crv`, curves);
  }
  if (jwk.alg !== undefined && c.oneOf(jwk.alg, `${path}.alg`, CLIENT_ASSERTION_ALGS)) {
    const needs = ALG_KEYS[jwk.alg as ClientAssertionAlg];
    if (typed && (needs.kty !== jwk.kty || (needs.crv !== undefined && needs.crv !== jwk.crv))) {
      c.report(`${path}.alg`, `needs a ${needs.crv ?? needs.kty} key`);
    }
  }
  if (secret.length || !typed || Object.values(jwk).some((v) => c.pending(v))) return;
  let bits: number | undefined;
  try {
    bits = createPublicKey({ key: jwk as never, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    c.report(path, `is not a valid ${jwk.kty as string} public key`);
    return;
  }
  if (jwk.kty === 'RSA' && (bits ?? 0) < MIN_RSA_BITS)
    c.report(path, `must be an RSA key of at least ${MIN_RSA_BITS} bits`);
}

/** An inline JWK Set: at least one key, each a public signing key, no `kid` twice (verifiers pick keys by it). */
function checkJwkSet(c: FieldChecker, value: unknown, path: string): void {
  const set = c.object(value, path, ['keys']);
  if (!set) return;
  const keys = c.array(set.keys, `${path}.keys`);
  if (Array.isArray(set.keys) && keys.length === 0) c.report(`${path}.keys`, 'must list at least one key');
  keys.forEach((jwk, i) => checkPublicJwk(c, jwk, `${path}.keys[${i}]`));
  c.unique(
    keys,
    (jwk) => (isFields(jwk) && typeof jwk.kid === 'string' ? jwk.kid : undefined),
    (i) => `${path}.keys[${i}].kid`,
    'kid',
  );
}

/** `private_key_jwt` clients register their keys one way, inline or by URL; no other client registers keys. */
function checkClientKeys(c: FieldChecker, f: Fields, path: string, method: ClientAuthMethod | undefined): void {
  if (f.jwks !== undefined) checkJwkSet(c, f.jwks, `${path}.jwks`);
  c.string(f.jwksUri, `${path}.jwksUri`, jwksUriProblem);
  if (method === undefined) return;
  if (method === 'private_key_jwt') {
    if (f.jwks === undefined && f.jwksUri === undefined)
      c.report(`${path}.jwks`, 'is required with private_key_jwt (or jwksUri): the public keys of its assertions');
    if (f.jwks !== undefined && f.jwksUri !== undefined)
      c.report(`${path}.jwksUri`, 'must not be set together with jwks: register the keys one way');
    return;
  }
  for (const field of ['jwks', 'jwksUri']) {
    if (f[field] !== undefined)
      c.report(`${path}.${field}`, `must not be set with ${method}: only private_key_jwt clients have keys`);
  }
}

/**
 * Checks one registration at `path` into `c`; `extraFields` are fields the caller allows and checks itself
 * (the local config's `clientSecret`). Returns the fields when `value` is an object at all.
 */
export function checkClientRegistration(
  c: FieldChecker,
  value: unknown,
  path: string,
  extraFields: readonly string[] = [],
): Fields | undefined {
  const f = c.object(value, path, REQUIRED_FIELDS, [...OPTIONAL_FIELDS, ...extraFields]);
  if (!f) return undefined;
  c.string(f.clientId, `${path}.clientId`, clientIdProblem);
  c.string(f.clientName, `${path}.clientName`, clientNameProblem);
  c.string(f.clientUri, `${path}.clientUri`, clientUriProblem);
  c.oneOf(f.applicationType, `${path}.applicationType`, ['web', 'native']);
  c.boolean(f.firstParty, `${path}.firstParty`);
  c.boolean(f.requirePkce, `${path}.requirePkce`);
  c.boolean(f.requirePar, `${path}.requirePar`);
  c.boolean(f.introspection, `${path}.introspection`);

  const grantTypes = c.array(f.grantTypes, `${path}.grantTypes`);
  if (Array.isArray(f.grantTypes) && grantTypes.length === 0)
    c.report(`${path}.grantTypes`, 'must name at least one grant type');
  grantTypes.forEach((g, i) => c.oneOf(g, `${path}.grantTypes[${i}]`, GRANT_TYPES));
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
    c.report(`${path}.grantTypes`, 'refresh_token is only issued through authorization_code');
  }

  const native = f.applicationType === 'native';
  const redirectUris = c.array(f.redirectUris, `${path}.redirectUris`);
  redirectUris.forEach((uri, i) => c.string(uri, `${path}.redirectUris[${i}]`, (u) => redirectUriProblem(u, native)));
  if (Array.isArray(f.redirectUris) && redirectUris.length === 0 && grantTypes.includes('authorization_code')) {
    c.report(`${path}.redirectUris`, 'must list at least one URI for the authorization_code grant');
  }

  c.array(f.postLogoutRedirectUris, `${path}.postLogoutRedirectUris`).forEach((uri, i) =>
    c.string(uri, `${path}.postLogoutRedirectUris[${i}]`, (u) => redirectUriProblem(u, native)),
  );

  c.array(f.scopes, `${path}.scopes`).forEach((s, i) => c.string(s, `${path}.scopes[${i}]`, scopeProblem));
  c.array(f.audience, `${path}.audience`).forEach((a, i) => c.string(a, `${path}.audience[${i}]`));

  const method = c.oneOf(f.tokenEndpointAuthMethod, `${path}.tokenEndpointAuthMethod`, AUTH_METHODS)
    ? f.tokenEndpointAuthMethod
    : undefined;
  if (method === 'none' && grantTypes.includes('client_credentials')) {
    c.report(
      `${path}.grantTypes`,
      'client_credentials needs an authenticated client, not tokenEndpointAuthMethod "none"',
    );
  }
  if (method === 'none' && f.introspection === true) {
    c.report(
      `${path}.introspection`,
      'introspection needs an authenticated client (a resource server), not tokenEndpointAuthMethod "none"',
    );
  }
  // Without PKCE only client authentication binds a code to its client: a public client has none.
  if (method === 'none' && f.requirePkce === false) {
    c.report(
      `${path}.requirePkce`,
      'can be false only for a confidential client (a tokenEndpointAuthMethod other than "none"): public clients always use PKCE',
    );
  }
  checkClientKeys(c, f, path, method);
  return f;
}

export interface RegistrationCheckOptions {
  /** Prefix of every field path, e.g. `clients[0]`. @default 'client' */
  readonly path?: string;
  /** Values only known later (CDK tokens), whose content is not checked. @default none */
  readonly pending?: (value: unknown) => boolean;
}

/** Every problem of a registration, each naming its field; values of unknown fields are never repeated. */
export function clientRegistrationProblems(
  registration: unknown,
  options: RegistrationCheckOptions = {},
): FieldProblem[] {
  const c = new FieldChecker(options.pending);
  checkClientRegistration(c, registration, options.path ?? 'client');
  return c.problems;
}

/** A copy holding only the registration's own fields. */
export function registrationOf(client: ClientRegistration): ClientRegistration {
  const copy: Record<string, unknown> = {};
  for (const key of FIELD_NAMES) {
    if (client[key] !== undefined) copy[key] = client[key];
  }
  return copy as unknown as ClientRegistration;
}

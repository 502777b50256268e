// The rules for a client registration, a username and a tenant or workspace id, wherever they are declared.
import { FieldChecker, type FieldProblem, type Fields } from './field-checker.js';
import type { ClientAuthMethod, ClientRegistration, GrantType } from '../model.js';

/** Every field of a ClientRegistration; typed so a new field must be added here to pass validation. */
const REGISTRATION_FIELDS = {
  clientId: 'required',
  clientName: 'optional',
  tokenEndpointAuthMethod: 'required',
  redirectUris: 'required',
  grantTypes: 'required',
  scopes: 'required',
  audience: 'optional',
  firstParty: 'optional',
  applicationType: 'optional',
  introspection: 'optional',
} as const satisfies Record<keyof ClientRegistration, 'required' | 'optional'>;

type RegistrationField = keyof typeof REGISTRATION_FIELDS;

const FIELD_NAMES = Object.keys(REGISTRATION_FIELDS) as RegistrationField[];
const REQUIRED_FIELDS = FIELD_NAMES.filter((name) => REGISTRATION_FIELDS[name] === 'required');
const OPTIONAL_FIELDS = FIELD_NAMES.filter((name) => REGISTRATION_FIELDS[name] === 'optional');

export const isRegistrationField = (name: string): name is RegistrationField =>
  Object.hasOwn(REGISTRATION_FIELDS, name);

/** The methods the token endpoint accepts today. */
export const AUTH_METHODS: readonly ClientAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];
/** The methods that authenticate with a shared secret. */
const SECRET_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
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

/** Whether a presented client_id could be registered at all; anything else is refused before a lookup. */
export const isClientId = (id: string): boolean => CLIENT_ID.test(id);

const clientIdProblem = (id: string) => (isClientId(id) ? undefined : 'must be 1-128 letters, digits or . _ ~ -');

const scopeProblem = (scope: string) =>
  SCOPE_TOKEN.test(scope) ? undefined : 'must be a scope token (printable ASCII, no spaces, quotes or backslashes)';

const clientNameProblem = (name: string) =>
  name.length > MAX_CLIENT_NAME_LENGTH ? `must be at most ${MAX_CLIENT_NAME_LENGTH} characters` : undefined;

/**
 * RFC 6749 §3.1.2 and OAuth 2.1 §2.3.1: absolute, no fragment; https, loopback http, or for a native app a
 * private-use scheme, which RFC 8252 §7.1 makes a reverse domain name. The dot that requires is also what
 * keeps out schemes that run or read something in the browser instead (javascript:, data:, vbscript:, file:).
 */
function redirectUriProblem(uri: string, native: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment (#)';
  const allowed =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname)) ||
    (native && url.protocol.includes('.'));
  return allowed
    ? undefined
    : 'must be https, http on localhost / 127.0.0.1 / [::1], or for a native client a private-use scheme like com.example.app:';
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
  c.oneOf(f.applicationType, `${path}.applicationType`, ['web', 'native']);
  c.boolean(f.firstParty, `${path}.firstParty`);
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

  c.array(f.scopes, `${path}.scopes`).forEach((s, i) => c.string(s, `${path}.scopes[${i}]`, scopeProblem));
  c.array(f.audience, `${path}.audience`).forEach((a, i) => c.string(a, `${path}.audience[${i}]`));

  if (c.oneOf(f.tokenEndpointAuthMethod, `${path}.tokenEndpointAuthMethod`, AUTH_METHODS)) {
    if (f.tokenEndpointAuthMethod === 'none' && grantTypes.includes('client_credentials')) {
      c.report(
        `${path}.grantTypes`,
        'client_credentials needs an authenticated client, not tokenEndpointAuthMethod "none"',
      );
    }
    if (f.tokenEndpointAuthMethod === 'none' && f.introspection === true) {
      c.report(
        `${path}.introspection`,
        'introspection needs an authenticated client (a resource server), not tokenEndpointAuthMethod "none"',
      );
    }
  }
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

// Upstream OpenID Connect identity sources (SPEC §3): their configuration, its defaults and its checks.
import { FieldChecker, isFields, type Fields } from '../registration/field-checker.js';
import { idProblem } from '../registration/registration.js';

export type UpstreamAuthMethod = 'client_secret_basic' | 'client_secret_post';

export const UPSTREAM_AUTH_METHODS: readonly UpstreamAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** An upstream OpenID provider as construct props and the local config file describe it, the secret aside. */
export interface IdentitySourceRegistration {
  /** Names the source in its button, its links and its users: 1-63 of `a-z`, `0-9`, `-`. */
  readonly id: string;
  /** What the login page's button says: "Continue with {name}". */
  readonly name: string;
  /** Only `oidc` (OpenID Connect, discovered from `issuer`). */
  readonly type: 'oidc';
  /** The upstream issuer, exactly as its ID tokens carry it: https (http only on localhost). */
  readonly issuer: string;
  /** Our client id at the upstream provider. */
  readonly clientId: string;
  /** How our client authenticates at the upstream token endpoint. @default 'client_secret_basic' */
  readonly tokenEndpointAuthMethod?: UpstreamAuthMethod;
  /** Scopes asked of the upstream provider; must include `openid`. @default ['openid', 'email', 'profile'] */
  readonly scopes?: readonly string[];
  /**
   * Local claim name → upstream claim name, copied at every sign-in from the ID token, or from the provider's
   * UserInfo when the ID token lacks it. @default DEFAULT_CLAIM_MAP (the standard profile and email claims under
   * their own names)
   */
  readonly claims?: Readonly<Record<string, string>>;
}

/** A source with its defaults filled in, as the endpoints use it. */
export interface IdentitySourceSettings extends Required<IdentitySourceRegistration> {}

export const DEFAULT_SCOPES: readonly string[] = ['openid', 'email', 'profile'];

/** The standard claims copied when a source names none; `sub` is never among them (it is ours). */
export const DEFAULT_CLAIM_MAP: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'name',
    'given_name',
    'family_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'picture',
    'locale',
    'zoneinfo',
    'email',
    'email_verified',
  ].map((c) => [c, c]),
);

/** Claims a mapping may not write: the protocol's own, which we set ourselves. */
const RESERVED_LOCAL_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'jti'];

export const REGISTRATION_FIELDS = ['id', 'name', 'type', 'issuer', 'clientId'] as const;
export const OPTIONAL_FIELDS = ['tokenEndpointAuthMethod', 'scopes', 'claims'] as const;

/** https, or http on a loopback host (a second workspace of the local server); no query or fragment. */
export function upstreamIssuerProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    return 'must be an https URL (http only on localhost)';
  if (url.search || url.hash || value.includes('?') || value.includes('#')) return 'must not carry a query or fragment';
  return undefined;
}

/**
 * Checks one source's fields; `extra` lists the fields the caller adds (the local file's `clientSecret`, the
 * construct's secret). Returns the fields when the value is an object.
 */
export function checkIdentitySource(
  c: FieldChecker,
  value: unknown,
  path: string,
  extra: readonly string[] = [],
): Fields | undefined {
  const f = c.object(value, path, REGISTRATION_FIELDS, [...OPTIONAL_FIELDS, ...extra]);
  if (!f) return undefined;
  c.string(f.id, `${path}.id`, idProblem);
  c.string(f.name, `${path}.name`, (v) => (v.length > 100 ? 'must be at most 100 characters' : undefined));
  c.oneOf(f.type, `${path}.type`, ['oidc']);
  c.string(f.issuer, `${path}.issuer`, upstreamIssuerProblem);
  c.string(f.clientId, `${path}.clientId`);
  c.oneOf(f.tokenEndpointAuthMethod, `${path}.tokenEndpointAuthMethod`, UPSTREAM_AUTH_METHODS);
  const scopes = c.array(f.scopes, `${path}.scopes`);
  scopes.forEach((s, i) =>
    c.string(s, `${path}.scopes[${i}]`, (v) => (/\s/.test(v) ? 'must not contain white space' : undefined)),
  );
  if (Array.isArray(f.scopes) && !f.scopes.includes('openid')) c.report(`${path}.scopes`, 'must include "openid"');
  if (f.claims !== undefined) {
    if (!isFields(f.claims)) c.report(`${path}.claims`, 'must be an object');
    else {
      for (const [local, upstream] of Object.entries(f.claims)) {
        if (RESERVED_LOCAL_CLAIMS.includes(local))
          c.report(`${path}.claims.${local}`, 'is set by this server and cannot be mapped');
        c.string(upstream, `${path}.claims.${local}`);
      }
    }
  }
  return f;
}

/** The problems of a workspace's sources as a whole: ids unique, and some way to sign in. */
export function checkIdentitySources(
  c: FieldChecker,
  sources: readonly unknown[],
  builtInUsers: unknown,
  path: string,
): void {
  c.unique(
    sources,
    (s) => (isFields(s) && typeof s.id === 'string' ? s.id : undefined),
    (i) => `${path}.identitySources[${i}].id`,
    'id',
  );
  c.boolean(builtInUsers, `${path}.builtInUsers`);
  if (builtInUsers === false && sources.length === 0)
    c.report(`${path}.builtInUsers`, 'cannot be false without identitySources: nobody could sign in');
}

/** The source with its defaults. */
export function identitySourceSettings(source: IdentitySourceRegistration): IdentitySourceSettings {
  return {
    id: source.id,
    name: source.name,
    type: 'oidc',
    issuer: source.issuer,
    clientId: source.clientId,
    tokenEndpointAuthMethod: source.tokenEndpointAuthMethod ?? 'client_secret_basic',
    scopes: source.scopes ?? DEFAULT_SCOPES,
    claims: source.claims ?? DEFAULT_CLAIM_MAP,
  };
}

/** The fields of a registration only, in a fixed order: what goes into the Lambda environment. */
export function registrationOfSource(source: IdentitySourceRegistration): IdentitySourceRegistration {
  const out: Record<string, unknown> = {};
  for (const name of [...REGISTRATION_FIELDS, ...OPTIONAL_FIELDS])
    if (source[name] !== undefined) out[name] = source[name];
  return out as unknown as IdentitySourceRegistration;
}

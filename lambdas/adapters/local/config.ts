// The local server's configuration file (SPEC §4): its types, its validation, and the demo workspace used without one.
import { readFile } from 'node:fs/promises';
import type { ClientAuthMethod, ClientRegistration, GrantType } from '../../core/model.js';

/** A client as the config file describes it: the registration plus, for confidential clients, its secret. */
export interface LocalClientConfig extends ClientRegistration {
  /** Required for (and only for) `client_secret_basic` / `client_secret_post`; at least 32 characters. */
  readonly clientSecret?: string;
}

export interface LocalUserConfig {
  readonly username: string;
  readonly password: string;
  /** OIDC standard claims (`name`, `email`, …); `sub` is assigned by the server. @default {} */
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface LocalWorkspaceConfig {
  /** A URL path segment of the issuer: `[a-z0-9-]`. */
  readonly tenantId: string;
  /** A URL path segment of the issuer: `[a-z0-9-]`. */
  readonly workspaceId: string;
  /** @default [] */
  readonly clients: readonly LocalClientConfig[];
  /** @default [] */
  readonly users: readonly LocalUserConfig[];
}

export interface LocalConfig {
  readonly workspaces: readonly LocalWorkspaceConfig[];
}

/** Every problem found in a config file, each naming the field it is about, e.g. `workspaces[0].clients[1].clientSecret`. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The methods the token endpoint accepts today (and the CDK construct's validation allows). */
const AUTH_METHODS: readonly ClientAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];
const SECRET_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
/** Secrets are compared as SHA-256 hashes, which is only safe for high-entropy values. */
const MIN_SECRET_LENGTH = 32;
/** An issuer path segment: lower case so URLs and table names never differ only by case. */
const PATH_SEGMENT = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Unreserved URL characters keep client ids safe in URLs and Basic credentials; the same rule as the construct's. */
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MAX_CLIENT_NAME_LENGTH = 200;
/** http is for loopback only (OAuth 2.1 §2.3.1): a local app, never a remote one over plain text. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** No control characters anywhere, no white space at either end: what a login form can reproduce. */
const USERNAME = /^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/;

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects problems with the path of the field each is about, so one run reports every mistake. */
class Checker {
  readonly problems: string[] = [];

  report(path: string, problem: string): void {
    this.problems.push(`${path}: ${problem}`);
  }

  /** An object with only the known fields; a misspelt field is reported rather than silently ignored. */
  object(value: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Fields | undefined {
    if (!isFields(value)) {
      this.report(path, 'must be an object');
      return undefined;
    }
    const fields = value;
    for (const name of required) if (fields[name] === undefined) this.report(`${path}.${name}`, 'is required');
    for (const name of Object.keys(fields)) {
      if (!required.includes(name) && !optional.includes(name)) this.report(`${path}.${name}`, 'is not a known field');
    }
    return fields;
  }

  /** `undefined` (already reported as missing, or optional) is passed over; anything else must be a string. */
  string(value: unknown, path: string, rule?: { pattern: RegExp; describe: string }): value is string {
    if (value === undefined) return false;
    if (typeof value !== 'string' || value === '') {
      this.report(path, 'must be a non-empty string');
      return false;
    }
    if (rule && !rule.pattern.test(value)) {
      this.report(path, rule.describe);
      return false;
    }
    return true;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): value is T {
    if (value === undefined) return false;
    if (!allowed.includes(value as T)) {
      this.report(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
      return false;
    }
    return true;
  }

  /** A list; a value listed twice is a mistake worth reporting. */
  array(value: unknown, path: string): readonly unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.report(path, 'must be an array');
      return [];
    }
    const twice = value.find((v, i) => typeof v === 'string' && value.indexOf(v) !== i);
    if (twice !== undefined) this.report(path, `lists "${twice}" twice`);
    return value;
  }

  boolean(value: unknown, path: string): void {
    if (value !== undefined && typeof value !== 'boolean') this.report(path, 'must be true or false');
  }

  /** Reports every value seen before under the same key. */
  unique<T>(items: readonly T[], key: (item: T) => string | undefined, path: (index: number) => string, what: string): void {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      if (k === undefined) return;
      const first = seen.get(k);
      if (first === undefined) seen.set(k, i);
      else this.report(path(i), `duplicates the ${what} of ${path(first)}`);
    });
  }
}

/** RFC 6749 §3.1.2: absolute, no fragment; https, loopback http, or a native app's private-use scheme (RFC 8252 §7.1). */
function checkRedirectUri(c: Checker, value: unknown, path: string, native: boolean): void {
  if (!c.string(value, path)) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    c.report(path, 'must be an absolute URI');
    return;
  }
  if (value.includes('#')) c.report(path, 'must not contain a fragment (#)');
  const allowed =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname)) ||
    (native && url.protocol.includes('.'));
  if (!allowed) {
    c.report(path, 'must be https, http on localhost / 127.0.0.1 / [::1], or for a native client a private-use scheme like com.example.app:');
  }
}

function checkClient(c: Checker, value: unknown, path: string): void {
  const f = c.object(
    value,
    path,
    ['clientId', 'tokenEndpointAuthMethod', 'redirectUris', 'grantTypes', 'scopes'],
    ['clientName', 'audience', 'firstParty', 'applicationType', 'clientSecret'],
  );
  if (!f) return;
  c.string(f.clientId, `${path}.clientId`, { pattern: CLIENT_ID, describe: 'must be 1-128 letters, digits or . _ ~ -' });
  if (c.string(f.clientName, `${path}.clientName`) && f.clientName.length > MAX_CLIENT_NAME_LENGTH) {
    c.report(`${path}.clientName`, `must be at most ${MAX_CLIENT_NAME_LENGTH} characters`);
  }
  c.oneOf(f.applicationType, `${path}.applicationType`, ['web', 'native']);
  c.boolean(f.firstParty, `${path}.firstParty`);

  const grantTypes = c.array(f.grantTypes, `${path}.grantTypes`);
  if (Array.isArray(f.grantTypes) && grantTypes.length === 0) c.report(`${path}.grantTypes`, 'must name at least one grant type');
  grantTypes.forEach((g, i) => c.oneOf(g, `${path}.grantTypes[${i}]`, GRANT_TYPES));
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
    c.report(`${path}.grantTypes`, 'refresh_token is only issued through authorization_code');
  }

  const redirectUris = c.array(f.redirectUris, `${path}.redirectUris`);
  redirectUris.forEach((uri, i) => checkRedirectUri(c, uri, `${path}.redirectUris[${i}]`, f.applicationType === 'native'));
  if (Array.isArray(f.redirectUris) && redirectUris.length === 0 && grantTypes.includes('authorization_code')) {
    c.report(`${path}.redirectUris`, 'must list at least one URI for the authorization_code grant');
  }

  c.array(f.scopes, `${path}.scopes`).forEach((s, i) =>
    c.string(s, `${path}.scopes[${i}]`, { pattern: SCOPE_TOKEN, describe: 'must be a scope token (printable ASCII, no spaces, quotes or backslashes)' }),
  );
  c.array(f.audience, `${path}.audience`).forEach((a, i) => c.string(a, `${path}.audience[${i}]`));

  if (!c.oneOf(f.tokenEndpointAuthMethod, `${path}.tokenEndpointAuthMethod`, AUTH_METHODS)) return;
  const method = f.tokenEndpointAuthMethod;
  if (SECRET_METHODS.includes(method)) {
    if (f.clientSecret === undefined) c.report(`${path}.clientSecret`, `is required with ${method}`);
    else if (c.string(f.clientSecret, `${path}.clientSecret`) && f.clientSecret.length < MIN_SECRET_LENGTH) {
      c.report(`${path}.clientSecret`, `must be at least ${MIN_SECRET_LENGTH} characters`);
    }
  } else if (f.clientSecret !== undefined) {
    c.report(`${path}.clientSecret`, `must not be set with ${method}: only client_secret_basic and client_secret_post use a secret`);
  }
  if (method === 'none' && grantTypes.includes('client_credentials')) {
    c.report(`${path}.grantTypes`, 'client_credentials needs an authenticated client, not tokenEndpointAuthMethod "none"');
  }
}

function checkUser(c: Checker, value: unknown, path: string): void {
  const f = c.object(value, path, ['username', 'password'], ['claims']);
  if (!f) return;
  c.string(f.username, `${path}.username`, {
    pattern: USERNAME,
    describe: 'must not contain control characters or start or end with white space',
  });
  c.string(f.password, `${path}.password`);
  if (f.claims === undefined) return;
  if (!isFields(f.claims)) c.report(`${path}.claims`, 'must be an object');
  else if ('sub' in f.claims) c.report(`${path}.claims.sub`, 'is assigned by the server and cannot be configured');
}

function checkWorkspace(c: Checker, value: unknown, path: string): void {
  const f = c.object(value, path, ['tenantId', 'workspaceId'], ['clients', 'users']);
  if (!f) return;
  const segment = { pattern: PATH_SEGMENT, describe: 'must be 1-63 characters of a-z, 0-9 and "-", not starting or ending with "-" (it is a path segment of the issuer URL)' };
  c.string(f.tenantId, `${path}.tenantId`, segment);
  c.string(f.workspaceId, `${path}.workspaceId`, segment);

  const clients = c.array(f.clients, `${path}.clients`);
  clients.forEach((client, i) => checkClient(c, client, `${path}.clients[${i}]`));
  c.unique(clients, (x) => stringField(x, 'clientId'), (i) => `${path}.clients[${i}].clientId`, 'clientId');

  const users = c.array(f.users, `${path}.users`);
  users.forEach((user, i) => checkUser(c, user, `${path}.users[${i}]`));
  c.unique(users, (x) => stringField(x, 'username'), (i) => `${path}.users[${i}].username`, 'username');
}

function stringField(value: unknown, name: string): string | undefined {
  const field = isFields(value) ? value[name] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/** Validates a parsed config file; throws a `ConfigError` listing every bad field. `source` names the file in messages. */
export function parseConfig(value: unknown, source = 'config'): LocalConfig {
  const c = new Checker();
  const root = c.object(value, '(root)', ['workspaces']);
  const workspaces = c.array(root?.workspaces, 'workspaces');
  if (root && Array.isArray(root.workspaces) && workspaces.length === 0) c.report('workspaces', 'must list at least one workspace');
  workspaces.forEach((ws, i) => checkWorkspace(c, ws, `workspaces[${i}]`));
  c.unique(
    workspaces,
    (ws) => {
      const [t, w] = [stringField(ws, 'tenantId'), stringField(ws, 'workspaceId')];
      return t !== undefined && w !== undefined ? `${t}/${w}` : undefined;
    },
    (i) => `workspaces[${i}]`,
    'tenantId and workspaceId',
  );
  if (c.problems.length) throw new ConfigError(source, c.problems);

  // Validated above: only the defaults of the optional lists remain to be filled in.
  const valid = value as { workspaces: Array<Partial<LocalWorkspaceConfig> & Pick<LocalWorkspaceConfig, 'tenantId' | 'workspaceId'>> };
  return {
    workspaces: valid.workspaces.map((ws) => ({
      tenantId: ws.tenantId,
      workspaceId: ws.workspaceId,
      clients: ws.clients ?? [],
      users: (ws.users ?? []).map((u) => ({ ...u, claims: u.claims ?? {} })),
    })),
  };
}

/** Reads and validates a config file; every failure names the file. */
export async function loadConfig(file: string): Promise<LocalConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [`is not valid JSON (${(err as Error).message})`]);
  }
  return parseConfig(json, file);
}

/** The demo workspace's ids, seeded when no config file is given. */
export const DEMO_WORKSPACE = { tenantId: 'demo', workspaceId: 'main' } as const;

/** Path of the demo relying party's callback on the local server; registered on `demo-spa`. */
export const DEMO_CALLBACK_PATH = '/demo/callback';

/** Well-known on purpose: the demo is for trying things on a laptop, and the server listens on localhost only. */
export const DEMO_BACKEND_SECRET = 'demo-backend-secret-for-local-use-only';

export const DEMO_USERS: readonly LocalUserConfig[] = [
  {
    username: 'alice',
    password: 'alice-demo-password',
    claims: {
      name: 'Alice Example',
      given_name: 'Alice',
      family_name: 'Example',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
    },
  },
  {
    username: 'bob',
    password: 'bob-demo-password',
    claims: {
      name: 'Bob Example',
      given_name: 'Bob',
      family_name: 'Example',
      preferred_username: 'bob',
      email: 'bob@example.com',
      email_verified: false,
    },
  },
];

/**
 * The demo workspace `demo/main`: a public SPA client (`demo-spa`, PKCE, used by the home page's
 * "try it" flow at `{baseUrl}/demo/callback`), a confidential client (`demo-backend`,
 * `client_secret_basic`, for an app of your own on port 8080) and the users in `DEMO_USERS`.
 */
export function demoConfig(baseUrl: string): LocalConfig {
  const scopes = ['openid', 'profile', 'email'];
  return {
    workspaces: [
      {
        ...DEMO_WORKSPACE,
        clients: [
          {
            clientId: 'demo-spa',
            clientName: 'Demo single-page app',
            tokenEndpointAuthMethod: 'none',
            redirectUris: [`${baseUrl}${DEMO_CALLBACK_PATH}`],
            grantTypes: ['authorization_code'],
            scopes,
          },
          {
            clientId: 'demo-backend',
            clientName: 'Demo backend',
            tokenEndpointAuthMethod: 'client_secret_basic',
            clientSecret: DEMO_BACKEND_SECRET,
            redirectUris: ['http://localhost:8080/callback'],
            grantTypes: ['authorization_code'],
            scopes,
          },
        ],
        users: DEMO_USERS,
      },
    ],
  };
}

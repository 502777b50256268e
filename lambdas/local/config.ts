// The local server's configuration file (SPEC §4): its types, its validation, and the demo workspace used without one.
import { readFile } from 'node:fs/promises';
import { describeProblem, FieldChecker, isFields } from '../core/registration/field-checker.js';
import type { ClientRegistration } from '../core/model.js';
import {
  brandingProblems,
  scopeDescriptionsProblems,
  type Branding,
  type ScopeDescriptions,
} from '../core/pages/branding.js';
import {
  checkIdentitySource,
  checkIdentitySources,
  type IdentitySourceRegistration,
} from '../core/federation/identity-sources.js';
import {
  checkClientRegistration,
  idProblem,
  isAuthMethod,
  usernameKey,
  usernameProblem,
  usesClientSecret,
} from '../core/registration/registration.js';

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
  /** How the hosted pages present the workspace; URLs may be http on localhost here. @default - unbranded */
  readonly branding?: Branding;
  /** Custom scopes' descriptions per language, e.g. `{ "orders:read": { "en": "…", "de": "…" } }`. @default {} */
  readonly scopeDescriptions?: ScopeDescriptions;
  /** Upstream OpenID providers the login page offers (SPEC §3). @default [] */
  readonly identitySources?: readonly LocalIdentitySourceConfig[];
  /** Whether the users above sign in with a password; false leaves the identity sources only. @default true */
  readonly builtInUsers?: boolean;
}

/** An identity source as the config file describes it: the registration plus our client secret there. */
export interface LocalIdentitySourceConfig extends IdentitySourceRegistration {
  readonly clientSecret: string;
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

/** Secrets are compared as SHA-256 hashes, which is only safe for high-entropy values. */
const MIN_SECRET_LENGTH = 32;

/** A registration plus the config file's own field, the secret, which only the secret methods take. */
function checkClient(c: FieldChecker, value: unknown, path: string): void {
  const f = checkClientRegistration(c, value, path, ['clientSecret']);
  const method = f?.tokenEndpointAuthMethod;
  if (!f || !isAuthMethod(method)) return;
  if (usesClientSecret(method)) {
    if (f.clientSecret === undefined) c.report(`${path}.clientSecret`, `is required with ${method}`);
    else if (c.string(f.clientSecret, `${path}.clientSecret`) && f.clientSecret.length < MIN_SECRET_LENGTH) {
      c.report(`${path}.clientSecret`, `must be at least ${MIN_SECRET_LENGTH} characters`);
    }
  } else if (f.clientSecret !== undefined) {
    c.report(
      `${path}.clientSecret`,
      `must not be set with ${method}: only client_secret_basic and client_secret_post use a secret`,
    );
  }
}

function checkUser(c: FieldChecker, value: unknown, path: string): void {
  const f = c.object(value, path, ['username', 'password'], ['claims']);
  if (!f) return;
  c.string(f.username, `${path}.username`, usernameProblem);
  c.string(f.password, `${path}.password`);
  if (f.claims === undefined) return;
  if (!isFields(f.claims)) c.report(`${path}.claims`, 'must be an object');
  else if ('sub' in f.claims) c.report(`${path}.claims.sub`, 'is assigned by the server and cannot be configured');
}

function checkWorkspace(c: FieldChecker, value: unknown, path: string): void {
  const f = c.object(
    value,
    path,
    ['tenantId', 'workspaceId'],
    ['clients', 'users', 'branding', 'scopeDescriptions', 'identitySources', 'builtInUsers'],
  );
  if (!f) return;
  c.string(f.tenantId, `${path}.tenantId`, idProblem);
  c.string(f.workspaceId, `${path}.workspaceId`, idProblem);
  for (const p of brandingProblems(f.branding, `${path}.branding`, { allowLocalHttp: true }))
    c.report(p.field, p.problem);
  for (const p of scopeDescriptionsProblems(f.scopeDescriptions, `${path}.scopeDescriptions`))
    c.report(p.field, p.problem);

  const clients = c.array(f.clients, `${path}.clients`);
  clients.forEach((client, i) => checkClient(c, client, `${path}.clients[${i}]`));
  c.unique(
    clients,
    (x) => stringField(x, 'clientId'),
    (i) => `${path}.clients[${i}].clientId`,
    'clientId',
  );

  const users = c.array(f.users, `${path}.users`);
  users.forEach((user, i) => checkUser(c, user, `${path}.users[${i}]`));
  c.unique(
    users,
    (x) => {
      const username = stringField(x, 'username');
      return username === undefined ? undefined : usernameKey(username);
    },
    (i) => `${path}.users[${i}].username`,
    'username',
  );

  const sources = c.array(f.identitySources, `${path}.identitySources`);
  sources.forEach((source, i) => {
    const s = checkIdentitySource(c, source, `${path}.identitySources[${i}]`, ['clientSecret']);
    if (s && s.clientSecret === undefined) c.report(`${path}.identitySources[${i}].clientSecret`, 'is required');
    else c.string(s?.clientSecret, `${path}.identitySources[${i}].clientSecret`);
  });
  checkIdentitySources(c, sources, f.builtInUsers, path);
}

function stringField(value: unknown, name: string): string | undefined {
  const field = isFields(value) ? value[name] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/** Validates a parsed config file; throws a `ConfigError` listing every bad field. `source` names the file in messages. */
export function parseConfig(value: unknown, source = 'config'): LocalConfig {
  const c = new FieldChecker();
  const root = c.object(value, '(root)', ['workspaces']);
  const workspaces = c.array(root?.workspaces, 'workspaces');
  if (root && Array.isArray(root.workspaces) && workspaces.length === 0)
    c.report('workspaces', 'must list at least one workspace');
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
  if (c.problems.length) throw new ConfigError(source, c.problems.map(describeProblem));

  // Validated above: only the defaults of the optional lists remain to be filled in.
  const valid = value as {
    workspaces: Array<Partial<LocalWorkspaceConfig> & Pick<LocalWorkspaceConfig, 'tenantId' | 'workspaceId'>>;
  };
  return {
    workspaces: valid.workspaces.map((ws) => ({
      tenantId: ws.tenantId,
      workspaceId: ws.workspaceId,
      clients: ws.clients ?? [],
      users: (ws.users ?? []).map((u) => ({ ...u, claims: u.claims ?? {} })),
      ...(ws.branding !== undefined && { branding: ws.branding }),
      ...(ws.scopeDescriptions !== undefined && { scopeDescriptions: ws.scopeDescriptions }),
      identitySources: ws.identitySources ?? [],
      builtInUsers: ws.builtInUsers ?? true,
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
const DEMO_WORKSPACE = { tenantId: 'demo', workspaceId: 'main' } as const;
/** The second demo workspace: the identity source of the first, standing in for a corporate OpenID provider. */
const DEMO_UPSTREAM = { tenantId: 'demo', workspaceId: 'upstream' } as const;
/** The demo workspace's client at the upstream one; well known, like every demo credential. */
export const DEMO_FEDERATION_SECRET = 'demo-federation-secret-for-local-use-only';

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

/** The upstream workspace's users: they sign in to `demo/main` through its identity source only. */
export const DEMO_UPSTREAM_USERS: readonly LocalUserConfig[] = [
  {
    username: 'carol',
    password: 'carol-demo-password',
    claims: {
      name: 'Carol Upstream',
      given_name: 'Carol',
      family_name: 'Upstream',
      preferred_username: 'carol',
      email: 'carol@upstream.example',
      email_verified: true,
    },
  },
];

/**
 * The demo workspace `demo/main`: a public SPA client (`demo-spa`, PKCE, used by the home page's
 * "try it" flow at `{baseUrl}/demo/callback`), a confidential client (`demo-backend`,
 * `client_secret_basic`, for an app of your own on port 8080) and the users in `DEMO_USERS`; and `demo/upstream`,
 * the identity source `upstream` of `demo/main` (its login page offers "Continue with Demo upstream"), where the
 * users in `DEMO_UPSTREAM_USERS` sign in. No network: both are served by this server.
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
            postLogoutRedirectUris: [`${baseUrl}/`],
            grantTypes: ['authorization_code', 'refresh_token'],
            scopes: [...scopes, 'offline_access'],
          },
          {
            clientId: 'demo-backend',
            clientName: 'Demo backend',
            tokenEndpointAuthMethod: 'client_secret_basic',
            clientSecret: DEMO_BACKEND_SECRET,
            redirectUris: ['http://localhost:8080/callback'],
            grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
            scopes: [...scopes, 'offline_access'],
            // Also the demo resource server: it may introspect every token of the workspace.
            introspection: true,
          },
        ],
        users: DEMO_USERS,
        identitySources: [
          {
            id: 'upstream',
            name: 'Demo upstream',
            type: 'oidc',
            issuer: `${baseUrl}/${DEMO_UPSTREAM.tenantId}/${DEMO_UPSTREAM.workspaceId}`,
            clientId: 'demo-main',
            clientSecret: DEMO_FEDERATION_SECRET,
          },
        ],
      },
      {
        ...DEMO_UPSTREAM,
        clients: [
          {
            clientId: 'demo-main',
            clientName: 'Workspace demo/main',
            tokenEndpointAuthMethod: 'client_secret_basic',
            clientSecret: DEMO_FEDERATION_SECRET,
            redirectUris: [`${baseUrl}/${DEMO_WORKSPACE.tenantId}/${DEMO_WORKSPACE.workspaceId}/federation/callback`],
            grantTypes: ['authorization_code'],
            scopes,
            // The downstream workspace is ours: its users are not asked to consent a second time.
            firstParty: true,
          },
        ],
        users: DEMO_UPSTREAM_USERS,
      },
    ],
  };
}

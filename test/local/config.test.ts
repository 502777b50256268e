// The local config file: a valid file loads with defaults filled in; every bad field is named in the error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_BACKEND_SECRET, demoConfig, loadConfig, parseConfig } from '../../lambdas/local/config.js';

const client = () => ({
  clientId: 'web',
  clientName: 'Example web app',
  tokenEndpointAuthMethod: 'client_secret_basic',
  clientSecret: 'x'.repeat(32),
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'orders:read'],
  audience: ['https://api.example.com'],
  firstParty: false,
});
const user = () => ({ username: 'alice', password: 'correct horse', claims: { email: 'alice@example.com' } });
const valid = () => ({ workspaces: [{ tenantId: 'acme', workspaceId: 'main', clients: [client()], users: [user()] }] });

/** The problems reported for `config`, or none. */
function problems(config: unknown): readonly string[] {
  try {
    parseConfig(config);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** A valid config with one change made to its first workspace. */
function withWorkspace(change: (ws: Record<string, unknown>) => void): unknown {
  const config = valid();
  change(config.workspaces[0] as unknown as Record<string, unknown>);
  return config;
}
const withClient = (change: (c: Record<string, unknown>) => void) =>
  withWorkspace((ws) => change((ws.clients as Record<string, unknown>[])[0]!));
const withUser = (change: (u: Record<string, unknown>) => void) =>
  withWorkspace((ws) => change((ws.users as Record<string, unknown>[])[0]!));

describe('parseConfig', () => {
  it('accepts the SPEC §4 format and fills in the optional lists', () => {
    expect(problems(valid())).toEqual([]);
    const parsed = parseConfig({
      workspaces: [{ tenantId: 'a', workspaceId: 'b', users: [{ username: 'u', password: 'p' }] }],
    });
    expect(parsed.workspaces[0]).toEqual({
      tenantId: 'a',
      workspaceId: 'b',
      clients: [],
      users: [{ username: 'u', password: 'p', claims: {} }],
      identitySources: [],
      builtInUsers: true,
    });
  });

  it('accepts the demo workspace', () => {
    expect(problems(demoConfig('http://localhost:3000'))).toEqual([]);
  });

  it.each([
    ['a non-object root', [], '(root): must be an object'],
    ['no workspaces', {}, '(root).workspaces: is required'],
    ['an empty workspace list', { workspaces: [] }, 'workspaces: must list at least one workspace'],
    ['an unknown top-level field', { ...valid(), port: 3000 }, '(root).port: is not a known field'],
  ])('rejects %s', (_, config, problem) => {
    expect(problems(config)).toContain(problem);
  });

  it.each([
    [
      'an upper-case tenantId',
      (ws: Record<string, unknown>) => (ws.tenantId = 'Acme'),
      'workspaces[0].tenantId: must be 1-63 characters',
    ],
    [
      'a tenantId with a slash',
      (ws: Record<string, unknown>) => (ws.tenantId = 'a/b'),
      'workspaces[0].tenantId: must be 1-63 characters',
    ],
    [
      'a workspaceId ending in "-"',
      (ws: Record<string, unknown>) => (ws.workspaceId = 'main-'),
      'workspaces[0].workspaceId: must be 1-63 characters',
    ],
    [
      'a missing workspaceId',
      (ws: Record<string, unknown>) => delete ws.workspaceId,
      'workspaces[0].workspaceId: is required',
    ],
    [
      'a numeric tenantId',
      (ws: Record<string, unknown>) => (ws.tenantId = 7),
      'workspaces[0].tenantId: must be a non-empty string',
    ],
    [
      'clients that are not a list',
      (ws: Record<string, unknown>) => (ws.clients = {}),
      'workspaces[0].clients: must be an array',
    ],
    ['a misspelt field', (ws: Record<string, unknown>) => (ws.user = []), 'workspaces[0].user: is not a known field'],
  ])('rejects %s', (_, change, problem) => {
    expect(problems(withWorkspace(change)).join('\n')).toContain(problem);
  });

  it('rejects two workspaces with the same tenantId and workspaceId', () => {
    const config = valid();
    const copy = { ...config.workspaces[0]! };
    expect(problems({ workspaces: [...config.workspaces, copy] })).toContain(
      'workspaces[1]: duplicates the tenantId and workspaceId of workspaces[0]',
    );
    expect(problems({ workspaces: [...config.workspaces, { ...copy, workspaceId: 'other' }] })).toEqual([]);
  });

  // The rules themselves are tested in test/core/registration.test.ts; these show the config file's field paths and its secret.
  type Change = (c: Record<string, unknown>) => void;
  it.each<[string, Change, string]>([
    [
      'a clientId with a reserved character',
      (c) => (c.clientId = 'web&co'),
      'clients[0].clientId: must be 1-128 letters',
    ],
    [
      'a javascript: redirect URI on a native client',
      (c) => ((c.applicationType = 'native'), (c.redirectUris = ['javascript:alert(1)'])),
      'clients[0].redirectUris[0]: must be https',
    ],
    [
      'a misspelt field',
      (c) => (c.redirectUri = 'https://app.example.com/cb'),
      'clients[0].redirectUri: is not a known field',
    ],
    [
      'a missing secret with client_secret_basic',
      (c) => delete c.clientSecret,
      'clients[0].clientSecret: is required with client_secret_basic',
    ],
    [
      'a short secret',
      (c) => (c.clientSecret = 'x'.repeat(31)),
      'clients[0].clientSecret: must be at least 32 characters',
    ],
    [
      'a secret on a public client',
      (c) => (c.tokenEndpointAuthMethod = 'none'),
      'clients[0].clientSecret: must not be set with none',
    ],
    [
      'a secret that is not a string',
      (c) => (c.clientSecret = 32),
      'clients[0].clientSecret: must be a non-empty string',
    ],
    [
      'requirePkce: false on a public client',
      (c) => ((c.tokenEndpointAuthMethod = 'none'), delete c.clientSecret, (c.requirePkce = false)),
      'clients[0].requirePkce: can be false only for a confidential client',
    ],
  ])('rejects a client with %s', (_, change, problem) => {
    expect(problems(withClient(change)).join('\n')).toContain(`workspaces[0].${problem}`);
  });

  it('never repeats a client secret in a problem', () => {
    const secret = 'do-not-echo-'.repeat(2);
    expect(problems(withClient((c) => (c.clientSecret = secret))).join('\n')).not.toContain(secret);
  });

  it('accepts a private_key_jwt client with its keys and no secret, and refuses one with a secret or without keys', () => {
    const keyed = (c: Record<string, unknown>) => {
      c.tokenEndpointAuthMethod = 'private_key_jwt';
      c.jwksUri = 'https://app.example.com/jwks.json';
      delete c.clientSecret;
    };
    expect(problems(withClient(keyed))).toEqual([]);
    expect(problems(withClient((c) => (keyed(c), (c.clientSecret = 'x'.repeat(32)))))).toEqual([
      'workspaces[0].clients[0].clientSecret: must not be set with private_key_jwt: only client_secret_basic and client_secret_post use a secret',
    ]);
    expect(problems(withClient((c) => (keyed(c), delete c.jwksUri)))).toEqual([
      'workspaces[0].clients[0].jwks: is required with private_key_jwt (or jwksUri): the public keys of its assertions',
    ]);
  });

  it('accepts a public client without a secret', () => {
    expect(problems(withClient((c) => ((c.tokenEndpointAuthMethod = 'none'), delete c.clientSecret)))).toEqual([]);
  });

  it('accepts a confidential client without PKCE, requirePar and post-logout redirect URIs', () => {
    const change = (c: Record<string, unknown>) => {
      c.requirePkce = false;
      c.requirePar = true;
      c.postLogoutRedirectUris = ['https://app.example.com/signed-out'];
    };
    expect(problems(withClient(change))).toEqual([]);
  });

  it('rejects two clients with the same clientId', () => {
    const config = withWorkspace((ws) => (ws.clients = [client(), client()]));
    expect(problems(config)).toContain(
      'workspaces[0].clients[1].clientId: duplicates the clientId of workspaces[0].clients[0].clientId',
    );
  });

  it.each<[string, Change, string]>([
    ['a missing username', (u) => delete u.username, 'users[0].username: is required'],
    [
      'a username with surrounding spaces',
      (u) => (u.username = ' alice'),
      'users[0].username: must not contain control characters',
    ],
    [
      'a username with a control character',
      (u) => (u.username = 'al\nice'),
      'users[0].username: must not contain control characters',
    ],
    [
      'a username the sign-in form would refuse as too long',
      (u) => (u.username = 'a'.repeat(513)),
      'users[0].username: must be at most 512 bytes',
    ],
    ['an empty password', (u) => (u.password = ''), 'users[0].password: must be a non-empty string'],
    ['claims that are not an object', (u) => (u.claims = ['email']), 'users[0].claims: must be an object'],
    ['claims that are null', (u) => (u.claims = null), 'users[0].claims: must be an object'],
    ['a configured sub', (u) => (u.claims = { sub: '42' }), 'users[0].claims.sub: is assigned by the server'],
  ])('rejects a user with %s', (_, change, problem) => {
    expect(problems(withUser(change)).join('\n')).toContain(`workspaces[0].${problem}`);
  });

  it('rejects two users with the same username', () => {
    const config = withWorkspace((ws) => (ws.users = [user(), user()]));
    expect(problems(config)).toContain(
      'workspaces[0].users[1].username: duplicates the username of workspaces[0].users[0].username',
    );
  });

  it('reports every problem at once', () => {
    const config = withWorkspace((ws) => ((ws.tenantId = 'A'), (ws.users = [{ username: 'x' }])));
    expect(problems(config)).toHaveLength(2);
  });
});

describe('loadConfig', () => {
  it('names the file in every error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-config-'));
    try {
      const missing = join(dir, 'missing.json');
      await expect(loadConfig(missing)).rejects.toThrow(
        `Invalid configuration in ${missing}:\n  - cannot be read (ENOENT)`,
      );

      const broken = join(dir, 'broken.json');
      await writeFile(broken, '{ "workspaces": [');
      await expect(loadConfig(broken)).rejects.toThrow(/broken\.json:\n {2}- is not valid JSON/);

      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify(withWorkspace((ws) => (ws.tenantId = 'Acme'))));
      await expect(loadConfig(bad)).rejects.toThrow(/bad\.json:\n {2}- workspaces\[0\]\.tenantId: must be/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads the committed example with two tenants', async () => {
    const config = await loadConfig('examples/local-config.json');
    expect(new Set(config.workspaces.map((ws) => ws.tenantId)).size).toBe(2);
  });
});

describe('demoConfig', () => {
  it('registers the demo callback on demo-spa and gives demo-backend the documented secret', () => {
    const [ws] = demoConfig('http://localhost:4321').workspaces;
    const spa = ws!.clients.find((c) => c.clientId === 'demo-spa');
    const backend = ws!.clients.find((c) => c.clientId === 'demo-backend');
    expect(ws).toMatchObject({ tenantId: 'demo', workspaceId: 'main' });
    expect(spa).toMatchObject({
      tokenEndpointAuthMethod: 'none',
      redirectUris: ['http://localhost:4321/demo/callback'],
    });
    expect(backend).toMatchObject({
      tokenEndpointAuthMethod: 'client_secret_basic',
      clientSecret: DEMO_BACKEND_SECRET,
    });
    expect(ws!.users.map((u) => u.username)).toEqual(['alice', 'bob']);
  });
});

describe('identity sources', () => {
  const source = () => ({
    id: 'corp',
    name: 'Corp SSO',
    type: 'oidc',
    issuer: 'https://login.corp.example',
    clientId: 'our-client',
    clientSecret: 'upstream-secret',
    scopes: ['openid', 'email', 'profile'],
    claims: { email: 'email', name: 'name' },
  });
  const withSource = (change: (s: Record<string, unknown>) => void, extra: Record<string, unknown> = {}) =>
    withWorkspace((ws) => {
      const s: Record<string, unknown> = source();
      change(s);
      Object.assign(ws, { identitySources: [s], ...extra });
    });

  it('accepts the SPEC §3 format, and builtInUsers defaults to true', () => {
    const parsed = parseConfig(withSource(() => {}));
    expect(parsed.workspaces[0]).toMatchObject({ identitySources: [source()], builtInUsers: true });
    expect(problems(withSource(() => {}, { builtInUsers: false }))).toEqual([]);
  });

  it.each([
    [
      'an id that is no path segment',
      (s: Record<string, unknown>) => (s.id = 'Corp SSO'),
      'identitySources[0].id: must be 1-63',
    ],
    [
      'another type',
      (s: Record<string, unknown>) => (s.type = 'saml'),
      'identitySources[0].type: must be one of "oidc"',
    ],
    [
      'an http issuer',
      (s: Record<string, unknown>) => (s.issuer = 'http://login.corp.example'),
      'identitySources[0].issuer: must be an https URL',
    ],
    [
      'no secret',
      (s: Record<string, unknown>) => delete s.clientSecret,
      'identitySources[0].clientSecret: is required',
    ],
    [
      'scopes without openid',
      (s: Record<string, unknown>) => (s.scopes = ['email']),
      'identitySources[0].scopes: must include "openid"',
    ],
    [
      'a mapping onto sub',
      (s: Record<string, unknown>) => (s.claims = { sub: 'email' }),
      'identitySources[0].claims.sub: is set by this server',
    ],
    [
      'a misspelt field',
      (s: Record<string, unknown>) => (s.clientID = 'x'),
      'identitySources[0].clientID: is not a known field',
    ],
  ])('refuses %s', (_, change, problem) => {
    expect(problems(withSource(change)).join('\n')).toContain(`workspaces[0].${problem}`);
  });

  it('refuses two sources with one id, and builtInUsers false without any source', () => {
    expect(problems(withWorkspace((ws) => (ws.identitySources = [source(), source()])))).toContain(
      'workspaces[0].identitySources[1].id: duplicates the id of workspaces[0].identitySources[0].id',
    );
    expect(problems(withWorkspace((ws) => (ws.builtInUsers = false)))).toContain(
      'workspaces[0].builtInUsers: cannot be false without identitySources: nobody could sign in',
    );
  });

  it('gives the demo workspace demo/upstream as its source, whose client registers our one callback', () => {
    const [main, upstream] = demoConfig('http://localhost:4321').workspaces;
    expect(main!.identitySources).toMatchObject([
      { id: 'upstream', issuer: 'http://localhost:4321/demo/upstream', clientId: 'demo-main' },
    ]);
    expect(upstream!.clients).toMatchObject([
      { clientId: 'demo-main', redirectUris: ['http://localhost:4321/demo/main/federation/callback'] },
    ]);
  });
});

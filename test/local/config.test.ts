// The local config file: a valid file loads with defaults filled in; every bad field is named in the error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_BACKEND_SECRET, demoConfig, loadConfig, parseConfig } from '../../lambdas/adapters/local/config.js';

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
    const parsed = parseConfig({ workspaces: [{ tenantId: 'a', workspaceId: 'b', users: [{ username: 'u', password: 'p' }] }] });
    expect(parsed.workspaces[0]).toEqual({ tenantId: 'a', workspaceId: 'b', clients: [], users: [{ username: 'u', password: 'p', claims: {} }] });
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
    ['an upper-case tenantId', (ws: Record<string, unknown>) => (ws.tenantId = 'Acme'), 'workspaces[0].tenantId: must be 1-63 characters'],
    ['a tenantId with a slash', (ws: Record<string, unknown>) => (ws.tenantId = 'a/b'), 'workspaces[0].tenantId: must be 1-63 characters'],
    ['a workspaceId ending in "-"', (ws: Record<string, unknown>) => (ws.workspaceId = 'main-'), 'workspaces[0].workspaceId: must be 1-63 characters'],
    ['a missing workspaceId', (ws: Record<string, unknown>) => delete ws.workspaceId, 'workspaces[0].workspaceId: is required'],
    ['a numeric tenantId', (ws: Record<string, unknown>) => (ws.tenantId = 7), 'workspaces[0].tenantId: must be a non-empty string'],
    ['clients that are not a list', (ws: Record<string, unknown>) => (ws.clients = {}), 'workspaces[0].clients: must be an array'],
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

  type Change = (c: Record<string, unknown>) => void;
  it.each<[string, Change, string]>([
    ['a missing clientId', (c) => delete c.clientId, 'clients[0].clientId: is required'],
    ['a clientId with a non-ASCII character', (c) => (c.clientId = 'wéb'), 'clients[0].clientId: must be 1-128 letters, digits or . _ ~ -'],
    ['a clientId with a reserved character', (c) => (c.clientId = 'web&co'), 'clients[0].clientId: must be 1-128 letters'],
    ['a clientName that is too long', (c) => (c.clientName = 'n'.repeat(201)), 'clients[0].clientName: must be at most 200 characters'],
    ['an auth method the token endpoint does not support', (c) => (c.tokenEndpointAuthMethod = 'private_key_jwt'), 'clients[0].tokenEndpointAuthMethod: must be one of'],
    ['an unknown auth method', (c) => (c.tokenEndpointAuthMethod = 'client_secret_jwt'), 'clients[0].tokenEndpointAuthMethod: must be one of'],
    ['a missing secret with client_secret_basic', (c) => delete c.clientSecret, 'clients[0].clientSecret: is required with client_secret_basic'],
    ['a short secret', (c) => (c.clientSecret = 'x'.repeat(31)), 'clients[0].clientSecret: must be at least 32 characters'],
    ['a secret on a public client', (c) => (c.tokenEndpointAuthMethod = 'none'), 'clients[0].clientSecret: must not be set with none'],
    ['a relative redirect URI', (c) => (c.redirectUris = ['/callback']), 'clients[0].redirectUris[0]: must be an absolute URI'],
    ['a redirect URI with a fragment', (c) => (c.redirectUris = ['https://app.example.com/cb#x']), 'clients[0].redirectUris[0]: must not contain a fragment'],
    ['a javascript: redirect URI', (c) => (c.redirectUris = ['javascript:alert(1)']), 'clients[0].redirectUris[0]: must be https'],
    ['a javascript: redirect URI on a native client', (c) => ((c.applicationType = 'native'), (c.redirectUris = ['javascript:alert(1)'])), 'clients[0].redirectUris[0]: must be https'],
    ['a private-use scheme on a web client', (c) => (c.redirectUris = ['com.example.app:/cb']), 'clients[0].redirectUris[0]: must be https'],
    ['a plain http redirect URI to a remote host', (c) => (c.redirectUris = ['http://app.example.com/cb']), 'clients[0].redirectUris[0]: must be https'],
    ['a redirect URI listed twice', (c) => (c.redirectUris = ['https://a.example/cb', 'https://a.example/cb']), 'clients[0].redirectUris: lists "https://a.example/cb" twice'],
    ['no redirect URI for the code grant', (c) => (c.redirectUris = []), 'clients[0].redirectUris: must list at least one URI'],
    ['an empty grant type list', (c) => (c.grantTypes = []), 'clients[0].grantTypes: must name at least one grant type'],
    ['an unknown grant type', (c) => (c.grantTypes = ['implicit']), 'clients[0].grantTypes[0]: must be one of'],
    ['refresh_token without authorization_code', (c) => ((c.grantTypes = ['refresh_token', 'client_credentials']), (c.redirectUris = [])), 'clients[0].grantTypes: refresh_token is only issued through authorization_code'],
    ['client_credentials on a public client', (c) => ((c.tokenEndpointAuthMethod = 'none'), delete c.clientSecret, (c.grantTypes = ['client_credentials'])), 'clients[0].grantTypes: client_credentials needs an authenticated client'],
    ['a scope with a space', (c) => (c.scopes = ['openid profile']), 'clients[0].scopes[0]: must be a scope token'],
    ['scopes that are not a list', (c) => (c.scopes = 'openid'), 'clients[0].scopes: must be an array'],
    ['a scope listed twice', (c) => (c.scopes = ['openid', 'openid']), 'clients[0].scopes: lists "openid" twice'],
    ['an empty audience', (c) => (c.audience = ['']), 'clients[0].audience[0]: must be a non-empty string'],
    ['a non-boolean firstParty', (c) => (c.firstParty = 'yes'), 'clients[0].firstParty: must be true or false'],
    ['an unknown application type', (c) => (c.applicationType = 'spa'), 'clients[0].applicationType: must be one of'],
    ['a misspelt field', (c) => (c.redirectUri = 'https://app.example.com/cb'), 'clients[0].redirectUri: is not a known field'],
  ])('rejects a client with %s', (_, change, problem) => {
    expect(problems(withClient(change)).join('\n')).toContain(`workspaces[0].${problem}`);
  });

  it('accepts a public client without a secret, loopback http, and a native client with a private-use scheme', () => {
    expect(problems(withClient((c) => ((c.tokenEndpointAuthMethod = 'none'), delete c.clientSecret)))).toEqual([]);
    expect(problems(withClient((c) => (c.redirectUris = ['http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:9/cb'])))).toEqual([]);
    expect(problems(withClient((c) => ((c.applicationType = 'native'), (c.redirectUris = ['com.example.app:/cb']))))).toEqual([]);
  });

  it('rejects two clients with the same clientId', () => {
    const config = withWorkspace((ws) => (ws.clients = [client(), client()]));
    expect(problems(config)).toContain('workspaces[0].clients[1].clientId: duplicates the clientId of workspaces[0].clients[0].clientId');
  });

  it.each<[string, Change, string]>([
    ['a missing username', (u) => delete u.username, 'users[0].username: is required'],
    ['a username with surrounding spaces', (u) => (u.username = ' alice'), 'users[0].username: must not contain control characters'],
    ['a username with a control character', (u) => (u.username = 'al\nice'), 'users[0].username: must not contain control characters'],
    ['an empty password', (u) => (u.password = ''), 'users[0].password: must be a non-empty string'],
    ['claims that are not an object', (u) => (u.claims = ['email']), 'users[0].claims: must be an object'],
    ['claims that are null', (u) => (u.claims = null), 'users[0].claims: must be an object'],
    ['a configured sub', (u) => (u.claims = { sub: '42' }), 'users[0].claims.sub: is assigned by the server'],
  ])('rejects a user with %s', (_, change, problem) => {
    expect(problems(withUser(change)).join('\n')).toContain(`workspaces[0].${problem}`);
  });

  it('rejects two users with the same username', () => {
    const config = withWorkspace((ws) => (ws.users = [user(), user()]));
    expect(problems(config)).toContain('workspaces[0].users[1].username: duplicates the username of workspaces[0].users[0].username');
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
      await expect(loadConfig(missing)).rejects.toThrow(`Invalid configuration in ${missing}:\n  - cannot be read (ENOENT)`);

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
    expect(spa).toMatchObject({ tokenEndpointAuthMethod: 'none', redirectUris: ['http://localhost:4321/demo/callback'] });
    expect(backend).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: DEMO_BACKEND_SECRET });
    expect(ws!.users.map((u) => u.username)).toEqual(['alice', 'bob']);
  });
});

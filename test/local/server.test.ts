// The local server: port and issuers, the banner, routing like API Gateway, the home page and the seeded data.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DEMO_BACKEND_SECRET, DEMO_USERS, type LocalConfig, parseConfig } from '../../lambdas/local/config.js';
import { type LocalServer, PortInUseError, startLocalServer } from '../../lambdas/local/server.js';
import { hashClientSecret, verifyPassword } from '../../lambdas/core/crypto.js';
import { handlerManifest } from '../../lambdas/handlers/manifest.js';
import { captureLines } from '../support/log-capture.js';

const dynamoEndpoint = inject('dynamoDbEndpoint');
let keyDir: string;
beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'local-server-keys-'));
});
afterAll(async () => {
  await rm(keyDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, 'localhost', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

describe('startLocalServer with the demo workspace', () => {
  let server: LocalServer;
  let printed: string;

  beforeAll(async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      server = await startLocalServer({ port: 0, dynamoEndpoint, keyDir });
      printed = log.mock.calls.map((args) => args.join(' ')).join('\n');
    } finally {
      log.mockRestore();
    }
  });
  afterAll(() => server?.stop());

  it('listens on a free port when given 0 and puts the real port in the URL and issuers', async () => {
    const port = Number(new URL(server.url).port);
    expect(port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://localhost:${port}`);
    expect(server.issuers).toEqual([`${server.url}/demo/main`, `${server.url}/demo/upstream`]);
  });

  it('prints each issuer and the demo credentials when ready', () => {
    expect(printed).toContain(`${server.url}/demo/main`);
    expect(printed).toContain(`${server.url}/demo/main/.well-known/openid-configuration`);
    expect(printed).toContain(DEMO_BACKEND_SECRET);
    for (const user of DEMO_USERS) expect(printed).toContain(`user ${user.username}, password: ${user.password}`);
  });

  it('writes audit events as structured log lines with the workspace, as the deployed Lambdas do', () => {
    vi.stubEnv('AUTHZ_LOG', 'on');
    const lines: string[] = [];
    const capturing = captureLines(lines);
    try {
      server.workspaces[0]!.audit.emit('login.failed', { username: 'alice' });
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 'info',
        message: 'audit',
        event: 'login.failed',
        tenantId: 'demo',
        workspaceId: 'main',
        username: 'alice',
      });
    } finally {
      capturing.restore();
      vi.unstubAllEnvs();
    }
  });

  it('prints one short line per request for a person at the terminal, not the Lambda metrics document', async () => {
    vi.stubEnv('AUTHZ_LOG', 'on');
    const lines: string[] = [];
    const capturing = captureLines(lines);
    try {
      await fetch(`${server.issuers[0]}/.well-known/jwks.json`);
      await fetch(`${server.issuers[0]}/oauth2/token`, { method: 'POST' });
    } finally {
      capturing.restore();
      vi.unstubAllEnvs();
    }
    expect(lines).toEqual([
      expect.stringMatching(/^demo\/main GET \/\.well-known\/jwks\.json 200 \d+ms$/),
      expect.stringMatching(/^demo\/main POST \/oauth2\/token 400 \d+ms invalid_request$/),
    ]);
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    for (const path of ['/nope', '/demo/main/nope', '/demo/other/oauth2/token', '/demo/main/oauth2/token/']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'Not found.' });
    }
  });

  it('answers a known path with another method with 405 and the allowed methods', async () => {
    /** The methods the manifest lists for a route of the workspace. */
    const allowed = (path: string) =>
      Object.values(handlerManifest)
        .flat()
        .filter((key) => key.endsWith(` ${path}`))
        .map((key) => key.split(' ')[0])
        .join(', ');
    const cases: Array<[string, string, string]> = [
      ['GET', '/demo/main/oauth2/token', allowed('/oauth2/token')],
      ['DELETE', '/demo/main/consent', allowed('/consent')],
      ['POST', '/demo/main/.well-known/openid-configuration', 'GET'],
      ['POST', '/', 'GET'],
    ];
    expect(allowed('/consent')).toBe('GET, POST');
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${server.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect((await res.json()).error).toBe('invalid_request');
    }
  });

  it('refuses a body larger than API Gateway passes on', async () => {
    const res = await fetch(`${server.url}/demo/main/oauth2/token`, {
      method: 'POST',
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    }).catch((err: Error) => err);
    // The server answers before reading the rest; the client sees the 413 or, if still sending, a closed socket.
    if (res instanceof Response) expect(res.status).toBe(413);
  });

  it('serves discovery under the issuer and RFC 8414 metadata at the host root, through the handler modules', async () => {
    const issuer = server.issuers[0]!;
    const oidc = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(oidc.status).toBe(200);
    expect(await oidc.json()).toMatchObject({ issuer, token_endpoint: `${issuer}/oauth2/token` });
    const rfc8414 = await fetch(`${server.url}/.well-known/oauth-authorization-server/demo/main`);
    expect(rfc8414.status).toBe(200);
    expect((await rfc8414.json()).issuer).toBe(issuer);
    expect(oidc.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('publishes the workspace key in the JWKS', async () => {
    const res = await fetch(`${server.issuers[0]}/.well-known/jwks.json`);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toEqual([await server.workspaces[0]!.keys.active.publicJwk()]);
    expect(keys[0]).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig' });
  });

  it('seeds the demo clients with the callback of its own port and only a hash of the secret', async () => {
    const { clients } = server.workspaces[0]!;
    const spa = await clients.get('demo-spa');
    const backend = await clients.get('demo-backend');
    expect(spa).toMatchObject({ tokenEndpointAuthMethod: 'none', redirectUris: [`${server.url}/demo/callback`] });
    expect(backend?.secretHash).toBe(hashClientSecret(DEMO_BACKEND_SECRET));
    expect(JSON.stringify(backend)).not.toContain(DEMO_BACKEND_SECRET);
  });

  it('seeds the demo users with scrypt hashes and a sub that is the same on every start', async () => {
    const alice = await server.workspaces[0]!.users.findByUsername('alice');
    expect(alice?.passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword(DEMO_USERS[0]!.password, alice?.passwordHash)).toBe(true);
    expect(alice?.claims).toMatchObject({ email: 'alice@example.com' });

    const again = await startLocalServer({ port: 0, dynamoEndpoint, keyDir, quiet: true });
    try {
      expect((await again.workspaces[0]!.users.findByUsername('alice'))?.sub).toBe(alice?.sub);
    } finally {
      await again.stop();
    }
  });

  it('lists the workspace on the home page with its links and the demo credentials', async () => {
    const res = await fetch(`${server.url}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html;charset=utf-8');
    expect(html).toContain(`href="${server.issuers[0]}/.well-known/openid-configuration"`);
    expect(html).toContain(`href="${server.url}/.well-known/oauth-authorization-server/demo/main"`);
    expect(html).toContain('href="/demo/start?workspace=demo%2Fmain"');
    expect(html).toContain('<code>alice-demo-password</code>');
  });

  it('sends the home page with a strict CSP and no external resources', async () => {
    const res = await fetch(`${server.url}/`);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';.*frame-ancestors 'none'/,
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
  });

  it('refuses a port that is taken', async () => {
    const port = Number(new URL(server.url).port);
    await expect(startLocalServer({ port, dynamoEndpoint, keyDir, quiet: true })).rejects.toBeInstanceOf(
      PortInUseError,
    );
  });
});

describe('startLocalServer with a config file', () => {
  const hostile = `<img src=x onerror="alert('&')">`;
  // Valid as a config file: hostile values are ones a file may legitimately hold.
  const configFor = (port: number): LocalConfig =>
    parseConfig({
      workspaces: [
        {
          tenantId: 'acme',
          workspaceId: 'main',
          clients: [
            {
              clientId: 'web',
              clientName: hostile,
              tokenEndpointAuthMethod: 'client_secret_post',
              clientSecret: 's'.repeat(40),
              redirectUris: ['https://app.example.com/callback'],
              grantTypes: ['authorization_code'],
              scopes: ['openid'],
            },
          ],
          users: [{ username: '<b>eve</b>', password: 'eve-secret-password' }],
        },
        {
          tenantId: 'globex',
          workspaceId: 'staging',
          clients: [
            {
              clientId: 'globex-spa',
              tokenEndpointAuthMethod: 'none',
              redirectUris: [`http://localhost:${port}/demo/callback`],
              grantTypes: ['authorization_code'],
              scopes: ['openid', 'profile', 'orders:read'],
            },
          ],
        },
      ],
    });
  let server: LocalServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = await startLocalServer({ port, config: configFor(port), dynamoEndpoint, keyDir, quiet: true });
  });
  afterAll(() => server?.stop());

  it('listens on the port it was given and serves one issuer per workspace', () => {
    expect(server.url).toBe(`http://localhost:${port}`);
    expect(server.issuers).toEqual([`http://localhost:${port}/acme/main`, `http://localhost:${port}/globex/staging`]);
  });

  it('lists every workspace on the home page with every value escaped, and no passwords', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    for (const issuer of server.issuers) expect(html).toContain(`<code>${issuer}</code>`);
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(&#39;&amp;&#39;)&quot;&gt;');
    expect(html).toContain('&lt;b&gt;eve&lt;/b&gt;');
    expect(html).not.toContain(hostile);
    expect(html).not.toContain('eve-secret-password');
    expect(html).not.toContain('Demo credentials');
  });

  it('offers the demo sign-in where a public client registered the local callback, with the scopes it may ask for', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('href="/demo/start?workspace=globex%2Fstaging"');
    expect(html).not.toContain('workspace=acme');

    const start = await fetch(`${server.url}/demo/start?workspace=globex%2Fstaging`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${server.issuers[1]}/oauth2/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe('globex-spa');
    expect(authorize.searchParams.get('scope')).toBe('openid profile');
  });

  it('keeps workspaces apart: each issuer path is served by its own workspace', async () => {
    for (const issuer of server.issuers) {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      expect((await res.json()).issuer).toBe(issuer);
    }
    const [acme, globex] = await Promise.all(server.workspaces.map((ws) => ws.keys.active.publicJwk()));
    expect(acme!.kid).not.toBe(globex!.kid);
  });

  it('closes its port on stop', async () => {
    const other = await startLocalServer({ port: 0, config: configFor(0), dynamoEndpoint, keyDir, quiet: true });
    await other.stop();
    await expect(fetch(`${other.url}/`)).rejects.toThrow();
  });
});

describe('startLocalServer with another signing algorithm', () => {
  it('signs with ES256 when asked, and says so in its metadata', async () => {
    const server = await startLocalServer({ port: 0, signingAlg: 'ES256', dynamoEndpoint, keyDir, quiet: true });
    try {
      const issuer = server.issuers[0]!;
      const { keys } = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as {
        keys: Array<Record<string, string>>;
      };
      expect(keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256' })]);
      const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256']);
    } finally {
      await server.stop();
    }
  });
});

// The authorization endpoint's checks, each tried against a request built to break it.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.js';
import { expectSecurityHeaders } from '../support/assertions.js';
import { authorizeUrl, obtainCode, validRequest } from '../support/flow.js';
import { hashPassword } from '../../lambdas/core/crypto.js';
import { newTestWorkspace, publicClient, TEST_PASSWORD, type TestWorkspace } from '../support/workspace.js';

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

function expectErrorPage(res: { status: number; headers: Record<string, string>; body: string }) {
  expect(res.status).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.headers['content-type']).toMatch(/^text\/html/);
}

describe('requests that must never redirect', () => {
  it('shows an error page for an unknown client', async () => {
    const { params } = validRequest('nobody');
    expectErrorPage(await new Agent(t.ws).get(authorizeUrl(params)));
  });

  it('shows an error page when client_id is missing or repeated', async () => {
    const { params } = validRequest();
    expectErrorPage(await new Agent(t.ws).get(authorizeUrl({ ...params, client_id: undefined })));
    expectErrorPage(await new Agent(t.ws).get(`${authorizeUrl(params)}&client_id=spa`));
  });

  it.each([
    ['unregistered', 'https://evil.example.com/callback'],
    ['trailing slash', 'https://spa.example.com/callback/'],
    ['different case', 'https://SPA.example.com/callback'],
    ['extra query', 'https://spa.example.com/callback?x=1'],
    ['added port', 'https://spa.example.com:443/callback'],
    ['fragment', 'https://spa.example.com/callback#'],
    ['http downgrade', 'http://spa.example.com/callback'],
    ['path traversal', 'https://spa.example.com/callback/../other'],
  ])('shows an error page for a %s redirect URI', async (_name, redirectUri) => {
    const { params } = validRequest('spa', redirectUri);
    expectErrorPage(await new Agent(t.ws).get(authorizeUrl(params)));
  });

  it('requires redirect_uri when more than one is registered, and uses the only one otherwise (plain OAuth)', async () => {
    const { params } = validRequest();
    expectErrorPage(await new Agent(t.ws).get(authorizeUrl({ ...params, redirect_uri: undefined })));
    const single = validRequest('backend', 'https://backend.example.com/cb', 'profile');
    const res = await new Agent(t.ws).get(authorizeUrl({ ...single.params, redirect_uri: undefined }));
    expect(res.status).toBe(302);
    expect(res.location?.pathname).toBe('/acme/main/consent');
  });

  it('lets a native client vary only the port of a loopback redirect URI', async () => {
    for (const ok of ['http://127.0.0.1:51234/callback', 'http://[::1]:9/cb']) {
      const res = await new Agent(t.ws).get(authorizeUrl(validRequest('cli', ok).params));
      expect(res.status, ok).toBe(302);
    }
    for (const bad of [
      'http://127.0.0.1:51234/callbackx',
      'http://localhost:51234/callback',
      'http://127.0.0.1:51234/callback?x',
      'https://127.0.0.1:5/callback',
    ]) {
      expectErrorPage(await new Agent(t.ws).get(authorizeUrl(validRequest('cli', bad).params)));
    }
    // a web client gets no such leeway
    expectErrorPage(
      await new Agent(t.ws).get(authorizeUrl(validRequest('spa', 'https://spa.example.com:8443/callback').params)),
    );
  });

  it('shows the error page, not a 5xx, for a client_id no registration could have', async () => {
    for (const clientId of ['c'.repeat(3000), '€'.repeat(1000), 'white space', '<script>']) {
      const res = await new Agent(t.ws).get(authorizeUrl(validRequest(clientId).params));
      expectErrorPage(res);
      expect(res.body).not.toContain('<script>');
    }
  });

  it('error pages carry every security header', async () => {
    const res = await new Agent(t.ws).get(authorizeUrl(validRequest('nobody').params));
    expectSecurityHeaders(res.headers);
  });
});

describe('errors redirected to the verified redirect URI', () => {
  async function errorOf(params: Record<string, string | undefined>, raw = '') {
    const res = await new Agent(t.ws).get(authorizeUrl(params) + raw);
    expect(res.status).toBe(302);
    const loc = res.location!;
    expect(`${loc.origin}${loc.pathname}`).toBe(params.redirect_uri);
    expect(loc.searchParams.get('iss')).toBe(t.ws.issuer);
    expect(loc.searchParams.get('code')).toBeNull();
    expect(loc.searchParams.get('error_description')).toBeTruthy();
    return loc;
  }

  it.each([
    ['missing code_challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['PKCE method omitted (defaults to plain)', { code_challenge_method: undefined }, 'invalid_request'],
    ['malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['missing response_type', { response_type: undefined }, 'invalid_request'],
    ['scope the client may not use', { scope: 'openid admin' }, 'invalid_scope'],
    ['unknown prompt', { prompt: 'sometimes' }, 'invalid_request'],
    ['prompt=none with login', { prompt: 'none login' }, 'invalid_request'],
    ['negative max_age', { max_age: '-1' }, 'invalid_request'],
    ['foreign resource', { resource: 'https://other.example.com' }, 'invalid_target'],
    ['relative resource', { resource: '/api' }, 'invalid_target'],
    ['request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
  ])('%s → %s, with state and iss', async (_name, change, error) => {
    const { params } = validRequest();
    const loc = await errorOf({ ...params, ...change });
    expect(loc.searchParams.get('error')).toBe(error);
    expect(loc.searchParams.get('state')).toBe(params.state);
  });

  it('rejects a duplicated parameter', async () => {
    const { params } = validRequest();
    const loc = await errorOf(params, '&scope=openid');
    expect(loc.searchParams.get('error')).toBe('invalid_request');
  });

  it('rejects an oversized parameter with a 4xx, never a 5xx', async () => {
    const { params } = validRequest();
    const loc = await errorOf({ ...params, nonce: 'n'.repeat(5000) });
    expect(loc.searchParams.get('error')).toBe('invalid_request');
  });

  it('answers prompt=none without a session with login_required', async () => {
    const { params } = validRequest();
    const loc = await errorOf({ ...params, prompt: 'none' });
    expect(loc.searchParams.get('error')).toBe('login_required');
  });
});

describe('successful responses', () => {
  it('keep the registered redirect URI, query included, exactly as registered', async () => {
    const redirectUri = 'https://spa.example.com/cb?a=b%20c&x';
    await t.stores.directory.putClient({ ...publicClient, clientId: 'query', redirectUris: [redirectUri] });
    const loc = await obtainCode(new Agent(t.ws), validRequest('query', redirectUri).params);
    expect(loc.href.startsWith(`${redirectUri}&code=`)).toBe(true);
  });

  it('a session of a user disabled since signing in no longer counts', async () => {
    const agent = new Agent(t.ws);
    await t.stores.directory.createUser({
      sub: 'sub-carol',
      username: 'carol',
      passwordHash: await hashPassword(TEST_PASSWORD),
      claims: {},
    });
    await obtainCode(agent, { ...validRequest().params, login_hint: 'carol' }, 'carol');
    await t.stores.directory.updateUser('carol', { disabled: true });
    const none = await agent.get(authorizeUrl({ ...validRequest().params, prompt: 'none' }));
    expect(none.location?.searchParams.get('error')).toBe('login_required');
    const again = await agent.get(authorizeUrl(validRequest().params));
    expect(again.location?.searchParams.get('code')).toBeNull();
  });

  it('carry code, the exact state and iss, and keep the redirect URI query', async () => {
    const state = 'a b+c/d?e=&f%20g<h>';
    const { params } = validRequest('spa', 'https://spa.example.com/callback');
    const loc = await obtainCode(new Agent(t.ws), { ...params, state });
    expect(loc.searchParams.get('state')).toBe(state);
    expect(loc.searchParams.get('iss')).toBe(t.ws.issuer);
    expect(loc.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('ignore unknown parameters', async () => {
    const { params } = validRequest();
    const loc = await obtainCode(new Agent(t.ws), { ...params, unknown_thing: 'x', another: '' });
    expect(loc.searchParams.get('code')).toBeTruthy();
  });

  it('stores only the hash of the code', async () => {
    const { params } = validRequest();
    const code = (await obtainCode(new Agent(t.ws), params)).searchParams.get('code')!;
    const { Items = [] } = await t.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: t.tableName }),
    );
    expect(JSON.stringify(Items)).not.toContain(code);
  });
});

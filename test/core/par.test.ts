// Pushed authorization requests (RFC 9126): the authorization endpoint's checks at push time, a request_uri taken once.
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../../lambdas/core/endpoints/authorize/authorize.js';
import { Agent } from '../support/agent.js';
import { expectSecurityHeaders } from '../support/assertions.js';
import { authorizeUrl, basicAuth, obtainCode, tokenForm, validRequest, type AuthorizeParams } from '../support/flow.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

/** Pushes `params` to `ws`: as the public client they name (client_id in the body), or with `headers` (Basic). */
function push(params: AuthorizeParams, headers?: Record<string, string>, ws = t.ws) {
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form[k] = v;
  return new Agent(ws).post('oauth2/par', { form, ...(headers && { headers }) });
}

async function pushed(params: AuthorizeParams, headers?: Record<string, string>, ws = t.ws): Promise<string> {
  const res = await push(params, headers, ws);
  expect(res.status, res.body).toBe(201);
  return res.json().request_uri;
}

/** The authorization endpoint's answer to a request_uri, from the core itself so that a page's error shows. */
const take = (agent: Agent, query: AuthorizeParams) => agent.core(authorize, 'GET', authorizeUrl(query));

function expectRefusedPage(res: { status: number; headers: Record<string, string>; error?: { error: string } }) {
  expect(res.status).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expectSecurityHeaders(res.headers);
  return res.error?.error;
}

describe('pushing a request', () => {
  it('answers 201 with a fresh, unguessable request_uri that lives 60 s, never cached', async () => {
    const first = await push(validRequest().params);
    const second = await push(validRequest().params);
    expect(first.status).toBe(201);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.json()).toEqual({ request_uri: expect.stringMatching(REQUEST_URI), expires_in: 60 });
    expect(second.json().request_uri).not.toBe(first.json().request_uri);
  });

  it('is taken by the authorization endpoint: login, consent, code and tokens carry the pushed state, nonce and PKCE', async () => {
    const { params, verifier } = validRequest();
    const requestUri = await pushed(params);
    const loc = await obtainCode(new Agent(t.ws), { client_id: 'spa', request_uri: requestUri });
    expect(`${loc.origin}${loc.pathname}`).toBe(params.redirect_uri);
    expect(loc.searchParams.get('state')).toBe(params.state);
    expect(loc.searchParams.get('iss')).toBe(t.ws.issuer);
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: tokenForm(loc.searchParams.get('code')!, verifier),
    });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.json().id_token)).toMatchObject({ aud: 'spa', nonce: params.nonce, sub: t.aliceSub });
  });

  it('fixes every parameter: the authorization endpoint reads only client_id and request_uri', async () => {
    const { params, verifier } = validRequest();
    const requestUri = await pushed(params);
    const loc = await obtainCode(new Agent(t.ws), {
      client_id: 'spa',
      request_uri: requestUri,
      redirect_uri: 'https://spa.example.com/other',
      scope: 'openid orders:read',
      state: 'changed',
      code_challenge: validRequest().params.code_challenge,
      response_type: 'token',
    });
    expect(`${loc.origin}${loc.pathname}`).toBe(params.redirect_uri);
    expect(loc.searchParams.get('state')).toBe(params.state);
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: tokenForm(loc.searchParams.get('code')!, verifier),
    });
    expect(res.json()).toMatchObject({ scope: params.scope });
  });

  it('authenticates confidential clients as the token endpoint does, and holds them to their client_id', async () => {
    const { params } = validRequest('backend', 'https://backend.example.com/cb');
    expect((await push(params, { Authorization: basicAuth('backend', TEST_SECRET) })).status).toBe(201);
    const post = validRequest('poster', 'https://backend.example.com/cb').params;
    expect((await push({ ...post, client_secret: TEST_SECRET })).status).toBe(201);
    const other = await push({ ...params, client_id: 'spa' }, { Authorization: basicAuth('backend', TEST_SECRET) });
    expect(other.status).toBe(400);
    expect(other.json().error).toBe('invalid_request');
  });

  it.each<[string, AuthorizeParams, Record<string, string> | undefined]>([
    ['no client authentication at all', { ...validRequest().params, client_id: undefined }, undefined],
    ['a confidential client without its secret', validRequest('backend', 'https://backend.example.com/cb').params, {}],
    [
      'a wrong secret',
      validRequest('backend', 'https://backend.example.com/cb').params,
      { Authorization: basicAuth('backend', 'not-the-secret') },
    ],
    ['an unknown client', validRequest('nobody').params, undefined],
  ])('refuses %s with 401 invalid_client', async (_case, params, headers) => {
    const res = await push(params, headers);
    expect(res.status).toBe(401);
    expect(res.json().error).toBe('invalid_client');
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('refuses a body that is not a form with invalid_request', async () => {
    const res = await new Agent(t.ws).post('oauth2/par', {
      body: JSON.stringify(validRequest().params),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });

  it('refuses a request_uri with invalid_request and a request object with request_not_supported', async () => {
    const withUri = await push({ ...validRequest().params, request_uri: 'urn:ietf:params:oauth:request_uri:x' });
    expect(withUri.status).toBe(400);
    expect(withUri.json().error).toBe('invalid_request');
    const withObject = await push({ ...validRequest().params, request: 'eyJhbGciOiJub25lIn0.e30.' });
    expect(withObject.status).toBe(400);
    expect(withObject.json().error).toBe('request_not_supported');
  });

  it.each<[string, AuthorizeParams, string]>([
    ['no code_challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['a scope the client may not use', { scope: 'openid admin' }, 'invalid_scope'],
    ['an unknown prompt', { prompt: 'sometimes' }, 'invalid_request'],
    ['prompt=none with login', { prompt: 'none login' }, 'invalid_request'],
    ['a negative max_age', { max_age: '-1' }, 'invalid_request'],
    ['a foreign resource', { resource: 'https://other.example.com' }, 'invalid_target'],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
    ['an oversized nonce', { nonce: 'n'.repeat(5000) }, 'invalid_request'],
  ])('answers %s with the JSON 400 %s the authorization endpoint redirects', async (_case, change, error) => {
    const params = { ...validRequest().params, ...change };
    const res = await push(params);
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toMatchObject({ error, error_description: expect.any(String) });
    const redirected = await new Agent(t.ws).get(authorizeUrl(params));
    expect(redirected.location?.searchParams.get('error')).toBe(error);
  });

  it.each<[string, AuthorizeParams]>([
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example.com/callback' }],
    ['no redirect_uri when two are registered', { redirect_uri: undefined }],
  ])('answers %s with a JSON 400 invalid_request where the authorization endpoint shows a page', async (_c, change) => {
    const params = { ...validRequest().params, ...change };
    const res = await push(params);
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_request');
    expect(expectRefusedPage(await take(new Agent(t.ws), params))).toBe('invalid_request');
  });
});

describe('taking a pushed request', () => {
  it('works once: a second use gets an invalid_request_uri page, never a redirect', async () => {
    const requestUri = await pushed(validRequest().params);
    const first = await take(new Agent(t.ws), { client_id: 'spa', request_uri: requestUri });
    expect(first.status).toBe(302);
    expect(first.location?.pathname).toBe('/acme/main/consent');
    const again = await take(new Agent(t.ws), { client_id: 'spa', request_uri: requestUri });
    expect(expectRefusedPage(again)).toBe('invalid_request_uri');
  });

  it('not once it has expired (clock moved past its 60 s)', async () => {
    const requestUri = await pushed(validRequest().params);
    t.clock.advance(61);
    const res = await take(new Agent(t.ws), { client_id: 'spa', request_uri: requestUri });
    expect(expectRefusedPage(res)).toBe('invalid_request_uri');
  });

  it('not by another client, and the attempt uses it up', async () => {
    const requestUri = await pushed(validRequest().params);
    const other = await take(new Agent(t.ws), { client_id: 'first', request_uri: requestUri });
    expect(expectRefusedPage(other)).toBe('invalid_request_uri');
    const own = await take(new Agent(t.ws), { client_id: 'spa', request_uri: requestUri });
    expect(expectRefusedPage(own)).toBe('invalid_request_uri');
  });

  it.each<[string, AuthorizeParams, string]>([
    [
      'an unknown request_uri',
      { client_id: 'spa', request_uri: `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}` },
      'invalid_request_uri',
    ],
    [
      'a malformed request_uri',
      { client_id: 'spa', request_uri: 'urn:ietf:params:oauth:request_uri:abc' },
      'invalid_request_uri',
    ],
    ['no client_id', { request_uri: `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}` }, 'invalid_request'],
    [
      'an unknown client',
      { client_id: 'nobody', request_uri: `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}` },
      'invalid_client',
    ],
  ])('shows %s an error page (%s)', async (_case, query, error) => {
    expect(expectRefusedPage(await take(new Agent(t.ws), query))).toBe(error);
  });

  it('refuses a repeated request_uri with a page', async () => {
    const requestUri = await pushed(validRequest().params);
    const res = await new Agent(t.ws).core(
      authorize,
      'GET',
      `${authorizeUrl({ client_id: 'spa', request_uri: requestUri })}&request_uri=${encodeURIComponent(requestUri)}`,
    );
    expect(expectRefusedPage(res)).toBe('invalid_request');
  });

  it('leaves a request_uri of another form to the checks: a request object by reference is not supported', async () => {
    const { params } = validRequest();
    const res = await new Agent(t.ws).get(
      authorizeUrl({ ...params, request_uri: 'https://rp.example.com/request.jwt' }),
    );
    expect(res.status).toBe(302);
    expect(res.location?.searchParams.get('error')).toBe('request_uri_not_supported');
    expect(res.location?.searchParams.get('state')).toBe(params.state);
  });

  it('sends later errors to the pushed redirect URI with the pushed state', async () => {
    const { params } = validRequest('spa', 'https://spa.example.com/other');
    const requestUri = await pushed({ ...params, prompt: 'none' });
    const res = await new Agent(t.ws).get(authorizeUrl({ client_id: 'spa', request_uri: requestUri }));
    expect(res.status).toBe(302);
    expect(`${res.location!.origin}${res.location!.pathname}`).toBe('https://spa.example.com/other');
    expect(res.location!.searchParams.get('error')).toBe('login_required');
    expect(res.location!.searchParams.get('state')).toBe(params.state);
    expect(res.location!.searchParams.get('iss')).toBe(t.ws.issuer);
  });
});

describe('requiring PAR', () => {
  it('of one client: its plain requests are refused with invalid_request and the state, its pushed ones work', async () => {
    const { params } = validRequest('pushing', 'https://pushing.example.com/cb');
    const plain = await new Agent(t.ws).get(authorizeUrl(params));
    expect(plain.status).toBe(302);
    expect(`${plain.location!.origin}${plain.location!.pathname}`).toBe('https://pushing.example.com/cb');
    expect(plain.location!.searchParams.get('error')).toBe('invalid_request');
    expect(plain.location!.searchParams.get('state')).toBe(params.state);
    const requestUri = await pushed(params, { Authorization: basicAuth('pushing', TEST_SECRET) });
    const taken = await new Agent(t.ws).get(authorizeUrl({ client_id: 'pushing', request_uri: requestUri }));
    expect(taken.location?.pathname).toBe('/acme/main/consent');
    // Other clients of the workspace are not affected.
    expect((await new Agent(t.ws).get(authorizeUrl(validRequest().params))).location?.pathname).toBe(
      '/acme/main/consent',
    );
  });

  it('of every client of a workspace, which its metadata says', async () => {
    const strict = await newTestWorkspace({ settings: { requirePushedAuthorizationRequests: true } });
    const { params, verifier } = validRequest();
    const plain = await new Agent(strict.ws).get(authorizeUrl(params));
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
    expect(plain.location?.searchParams.get('state')).toBe(params.state);
    const requestUri = await pushed(params, undefined, strict.ws);
    const loc = await obtainCode(new Agent(strict.ws), { client_id: 'spa', request_uri: requestUri });
    const res = await new Agent(strict.ws).post('oauth2/token', {
      form: tokenForm(loc.searchParams.get('code')!, verifier),
    });
    expect(res.status).toBe(200);
    const metadata = (await new Agent(strict.ws).get('.well-known/openid-configuration')).json();
    expect(metadata).toMatchObject({
      pushed_authorization_request_endpoint: `${strict.ws.issuer}/oauth2/par`,
      require_pushed_authorization_requests: true,
    });
  });

  it('of no client by default, which the metadata says too', async () => {
    const metadata = (await new Agent(t.ws).get('.well-known/oauth-authorization-server')).json();
    expect(metadata).toMatchObject({
      pushed_authorization_request_endpoint: `${t.ws.issuer}/oauth2/par`,
      require_pushed_authorization_requests: false,
      request_uri_parameter_supported: false,
    });
  });
});

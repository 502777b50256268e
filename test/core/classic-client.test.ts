// The classic confidential client (SPEC §3): no PKCE when registered so, no scope, no redirect_uri; and no downgrade.
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.js';
import { authorizeUrl, follow, obtainCode, pkce, submitLogin, tokenForm, validRequest } from '../support/flow.js';
import { newTestWorkspace, publicClient, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

const CALLBACK = 'https://classic.example.com/cb';

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

/** The token request of a client_secret_post client, with `extra` fields. */
const classicTokenForm = (code: string, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  code,
  client_id: 'classic',
  client_secret: TEST_SECRET,
  ...extra,
});

async function classicCode(params: Record<string, string | undefined> = {}): Promise<string> {
  const loc = await obtainCode(new Agent(t.ws), { response_type: 'code', client_id: 'classic', ...params });
  expect(`${loc.origin}${loc.pathname}`).toBe(CALLBACK);
  return loc.searchParams.get('code')!;
}

describe('the verbatim classic call', () => {
  it('response_type=code&client_id=… signs in without a consent page, and client_secret_post redeems the code', async () => {
    const agent = new Agent(t.ws);
    const start = await agent.get('oauth2/authorize?response_type=code&client_id=classic');
    expect(start.status).toBe(302);
    const login = await submitLogin(agent, await follow(agent, start));
    // Nothing asked, so nothing to consent to: straight back to the single registered redirect URI.
    expect(login.status).toBe(303);
    expect(`${login.location!.origin}${login.location!.pathname}`).toBe(CALLBACK);
    expect(login.location!.searchParams.get('iss')).toBe(t.ws.issuer);
    const code = login.location!.searchParams.get('code')!;

    const res = await agent.post('oauth2/token', { form: classicTokenForm(code) });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: '' });
    expect(body).not.toHaveProperty('id_token');
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: t.aliceSub, client_id: 'classic', aud: t.ws.issuer });
  });

  it('still needs the client secret at the token endpoint', async () => {
    const code = await classicCode();
    const res = await new Agent(t.ws).post('oauth2/token', { form: classicTokenForm(code, { client_secret: '' }) });
    expect(res.status).toBe(401);
    expect(res.json().error).toBe('invalid_client');
  });

  it('refuses a code_verifier for a code issued without a challenge with invalid_grant', async () => {
    const code = await classicCode();
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: classicTokenForm(code, { code_verifier: pkce().verifier }),
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
  });
});

describe('PKCE the classic client sends anyway', () => {
  it('is enforced: S256 only, and the verifier is required and must match', async () => {
    const { verifier, challenge } = pkce();
    const code = await classicCode({ code_challenge: challenge, code_challenge_method: 'S256' });
    const agent = new Agent(t.ws);
    for (const extra of [{}, { code_verifier: pkce().verifier }] as Record<string, string>[]) {
      const res = await agent.post('oauth2/token', { form: classicTokenForm(code, extra) });
      expect(res.status).toBe(400);
      expect(res.json().error).toBe('invalid_grant');
    }
    const ok = await agent.post('oauth2/token', { form: classicTokenForm(code, { code_verifier: verifier }) });
    expect(ok.status).toBe(200);
  });

  it.each([
    ['plain', { code_challenge: pkce().verifier, code_challenge_method: 'plain' }],
    ['no method', { code_challenge: pkce().challenge }],
    ['a method without a challenge', { code_challenge_method: 'S256' }],
  ])('is refused when malformed (%s) with invalid_request', async (_case, params) => {
    const res = await new Agent(t.ws).get(authorizeUrl({ response_type: 'code', client_id: 'classic', ...params }));
    expect(res.status).toBe(302);
    expect(`${res.location!.origin}${res.location!.pathname}`).toBe(CALLBACK);
    expect(res.location!.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('public clients', () => {
  it('get invalid_request without PKCE', async () => {
    const { params } = validRequest();
    const res = await new Agent(t.ws).get(
      authorizeUrl({ ...params, code_challenge: undefined, code_challenge_method: undefined }),
    );
    expect(res.location?.searchParams.get('error')).toBe('invalid_request');
    expect(res.location?.searchParams.get('state')).toBe(params.state);
  });

  it('get invalid_request without PKCE even if their stored record says requirePkce: false', async () => {
    await t.stores.directory.putClient({ ...publicClient, clientId: 'sneaky', requirePkce: false });
    const { params } = validRequest('sneaky');
    const res = await new Agent(t.ws).get(
      authorizeUrl({ ...params, code_challenge: undefined, code_challenge_method: undefined }),
    );
    expect(res.location?.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('an omitted scope, for any client', () => {
  it('is plain OAuth for no scopes: no consent page (even with prompt=consent), no ID token', async () => {
    const { params, verifier } = validRequest();
    const agent = new Agent(t.ws);
    const login = await submitLogin(
      agent,
      await follow(agent, await agent.get(authorizeUrl({ ...params, scope: undefined, prompt: 'consent' }))),
    );
    expect(login.location?.searchParams.get('code')).toBeTruthy();
    const res = await agent.post('oauth2/token', {
      form: tokenForm(login.location!.searchParams.get('code')!, verifier),
    });
    expect(res.status).toBe(200);
    expect(res.json()).not.toHaveProperty('id_token');
    expect(res.json().scope).toBe('');
  });

  it('is answered from the session without a consent page, also with prompt=none', async () => {
    const agent = new Agent(t.ws);
    await obtainCode(agent, validRequest().params);
    const res = await agent.get(authorizeUrl({ ...validRequest().params, scope: undefined, prompt: 'none' }));
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });
});

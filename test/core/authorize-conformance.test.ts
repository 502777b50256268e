// OIDC Core §3.1.2.1 at the authorization endpoint: POST, id_token_hint, prompt=consent, redirect_uri; loopback ports.
import { SignJWT, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../lambdas/core/crypto.js';
import { signAccessToken } from '../../lambdas/core/jwt/access-token.js';
import { signIdToken } from '../../lambdas/core/jwt/id-token.js';
import { handlerManifest } from '../../lambdas/handlers/manifest.js';
import { nowSeconds } from '../../lambdas/core/workspace.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import {
  authorizeUrl,
  follow,
  obtainCode,
  submitDecision,
  submitLogin,
  tokenForm,
  validRequest,
} from '../support/flow.js';
import { newTestWorkspace, TEST_PASSWORD, type TestWorkspace } from '../support/workspace.js';

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
  await t.stores.directory.createUser({
    sub: 'sub-carol',
    username: 'carol',
    passwordHash: await hashPassword(TEST_PASSWORD),
    claims: {},
  });
});

/** The request's parameters as a form (undefined ones left out). */
const formOf = (params: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));

function expectErrorPage(res: AgentResponse) {
  expect(res.status).toBe(400);
  expect(res.location).toBeUndefined();
  expect(res.headers['content-type']).toMatch(/^text\/html/);
}

/** A browser with alice's session that has consented to spa's default scopes. */
async function signedInBrowser(): Promise<Agent> {
  const browser = new Agent(t.ws);
  await obtainCode(browser, validRequest().params);
  return browser;
}

/** An ID token of this workspace for `sub`, as spa would have received it; `exp` in the past when `expired`. */
async function idTokenOf(sub: string, expired = false): Promise<string> {
  const iat = nowSeconds(t.ws) - (expired ? 2 * t.ws.settings.idTokenTtl : 0);
  return signIdToken(t.ws, { clientId: 'spa', sub, scopes: ['openid'], authTime: iat }, iat);
}

describe('POST /oauth2/authorize (OIDC Core §3.1.2.1: form serialization)', () => {
  it('is served by the authorize handler, as GET is', () => {
    expect(handlerManifest.authorize).toEqual(
      expect.arrayContaining(['GET /oauth2/authorize', 'POST /oauth2/authorize']),
    );
  });

  it('runs the same pipeline: login, consent, and a code the token endpoint redeems; redirects are 303', async () => {
    const browser = new Agent(t.ws);
    const { params, verifier } = validRequest();
    const start = await browser.post('oauth2/authorize', { form: formOf(params) });
    expect(start.status).toBe(303);
    expect(start.location?.pathname).toBe('/acme/main/consent');
    const consent = await follow(browser, await submitLogin(browser, await follow(browser, start)));
    const back = await submitDecision(browser, consent, 'allow');
    expect(back.location?.searchParams.get('state')).toBe(params.state);
    const code = back.location!.searchParams.get('code')!;
    const res = await browser.post('oauth2/token', { form: tokenForm(code, verifier) });
    expect(res.status).toBe(200);
  });

  it('answers from the session with a code, 303', async () => {
    const browser = await signedInBrowser();
    const res = await browser.post('oauth2/authorize', { form: formOf(validRequest().params) });
    expect(res.status).toBe(303);
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });

  it('redirects a redirectable error with state and iss, 303', async () => {
    const { params } = validRequest();
    const res = await new Agent(t.ws).post('oauth2/authorize', { form: formOf({ ...params, scope: 'openid admin' }) });
    expect(res.status).toBe(303);
    expect(res.location?.searchParams.get('error')).toBe('invalid_scope');
    expect(res.location?.searchParams.get('state')).toBe(params.state);
    expect(res.location?.searchParams.get('iss')).toBe(t.ws.issuer);
  });

  it('shows an error page for an unknown client, a body that is not a form, and parameters in the query only', async () => {
    const { params } = validRequest();
    expectErrorPage(
      await new Agent(t.ws).post('oauth2/authorize', { form: formOf({ ...params, client_id: 'nobody' }) }),
    );
    expectErrorPage(
      await new Agent(t.ws).post('oauth2/authorize', {
        body: JSON.stringify(params),
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    expectErrorPage(await new Agent(t.ws).post(authorizeUrl(params), { form: {} }));
  });
});

describe('id_token_hint (OIDC Core §3.1.2.1)', () => {
  it('prompt=none with a hint of the session’s user: a code', async () => {
    const browser = await signedInBrowser();
    const { params } = validRequest();
    const res = await browser.get(
      authorizeUrl({ ...params, prompt: 'none', id_token_hint: await idTokenOf(t.aliceSub) }),
    );
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=none with a hint of another user: login_required, no code', async () => {
    const browser = await signedInBrowser();
    const { params } = validRequest();
    const res = await browser.get(
      authorizeUrl({ ...params, prompt: 'none', id_token_hint: await idTokenOf('sub-carol') }),
    );
    expect(res.status).toBe(302);
    expect(res.location?.searchParams.get('error')).toBe('login_required');
    expect(res.location?.searchParams.get('state')).toBe(params.state);
    expect(res.location?.searchParams.get('code')).toBeNull();
  });

  it('without prompt=none, a hint of another user asks for a login instead of using the session', async () => {
    const browser = await signedInBrowser();
    const { params } = validRequest();
    const res = await browser.get(authorizeUrl({ ...params, id_token_hint: await idTokenOf('sub-carol') }));
    expect(res.location?.searchParams.get('code')).toBeNull();
    const page = await follow(browser, res);
    expect(page.body).toContain('name="password"');
    const back = await follow(browser, await submitLogin(browser, page, 'carol'));
    expect(back.body).toContain('name="decision"');
  });

  it('accepts an expired hint: it only names the user', async () => {
    const browser = await signedInBrowser();
    const res = await browser.get(
      authorizeUrl({ ...validRequest().params, prompt: 'none', id_token_hint: await idTokenOf(t.aliceSub, true) }),
    );
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });

  it('refuses a hint this workspace did not issue as an ID token (garbage, another key, an access token): invalid_request, redirected', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const foreign = await new SignJWT({ sub: t.aliceSub, aud: 'spa' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: (await t.ws.keys.active.publicJwk()).kid })
      .setIssuer(t.ws.issuer)
      .sign(privateKey);
    const accessToken = await signAccessToken(
      t.ws,
      { clientId: 'spa', sub: t.aliceSub, scopes: ['openid'], audience: [t.ws.issuer] },
      nowSeconds(t.ws),
    );
    const browser = await signedInBrowser();
    for (const hint of ['not-a-jwt', foreign, accessToken]) {
      const { params } = validRequest();
      const res = await browser.get(authorizeUrl({ ...params, id_token_hint: hint }));
      expect(res.status, hint).toBe(302);
      expect(res.location?.searchParams.get('error')).toBe('invalid_request');
      expect(res.location?.searchParams.get('state')).toBe(params.state);
      expect(res.location?.searchParams.get('code')).toBeNull();
    }
  });
});

describe('prompt=consent', () => {
  it('shows the consent page to a first-party client that asks for it, and only then', async () => {
    const browser = new Agent(t.ws);
    const first = () => validRequest('first', 'https://first.example.com/cb').params;
    await obtainCode(browser, first());
    const asked = await browser.get(authorizeUrl({ ...first(), prompt: 'consent' }));
    expect(asked.location?.searchParams.get('code')).toBeNull();
    const page = await follow(browser, asked);
    expect(page.body).toContain('name="decision"');
    expect((await submitDecision(browser, page, 'allow')).location?.searchParams.get('code')).toBeTruthy();
    const silent = await browser.get(authorizeUrl(first()));
    expect(silent.location?.searchParams.get('code')).toBeTruthy();
  });
});

describe('redirect_uri', () => {
  it('is required of an OpenID request even when one URI is registered: invalid_request to that URI', async () => {
    const { params } = validRequest('backend', 'https://backend.example.com/cb');
    const res = await new Agent(t.ws).get(authorizeUrl({ ...params, redirect_uri: undefined }));
    expect(res.status).toBe(302);
    expect(`${res.location!.origin}${res.location!.pathname}`).toBe('https://backend.example.com/cb');
    expect(res.location!.searchParams.get('error')).toBe('invalid_request');
    expect(res.location!.searchParams.get('state')).toBe(params.state);
    expect(res.location!.searchParams.get('iss')).toBe(t.ws.issuer);
  });

  it('may be left out of a plain OAuth request when one URI is registered', async () => {
    const { params } = validRequest('backend', 'https://backend.example.com/cb', 'profile');
    const res = await new Agent(t.ws).get(authorizeUrl({ ...params, redirect_uri: undefined }));
    expect(res.status).toBe(302);
    expect(res.location?.pathname).toBe('/acme/main/consent');
  });

  it('of a native client varies its loopback port within 1-65535 only', async () => {
    for (const ok of ['http://127.0.0.1:65535/callback', 'http://127.0.0.1:1/callback']) {
      expect((await new Agent(t.ws).get(authorizeUrl(validRequest('cli', ok).params))).status, ok).toBe(302);
    }
    for (const bad of [
      'http://127.0.0.1:65536/callback',
      'http://127.0.0.1:99999/callback',
      'http://[::1]:70000/cb',
      'http://127.0.0.1:0/callback',
    ]) {
      expectErrorPage(await new Agent(t.ws).get(authorizeUrl(validRequest('cli', bad).params)));
    }
  });
});

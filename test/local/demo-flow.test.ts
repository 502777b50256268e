// The home page's demo relying party: a browser signs in through the real endpoints and sees the verified tokens.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../lambdas/local/config.js';
import { type LocalServer, startLocalServer } from '../../lambdas/local/server.js';
import { Browser } from '../support/browser.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ port: 0, dynamoEndpoint: inject('dynamoDbEndpoint'), quiet: true });
});
afterAll(() => server?.stop());

const alice = DEMO_USERS[0]!;
const startPath = '/demo/start?workspace=demo%2Fmain';

const isCallback = (res: Response) => res.headers.get('location')?.startsWith(`${server.url}/demo/callback?`) ?? false;

/** Starts the demo and signs in as alice, allowing the scopes unless she already has; stops at the redirect to the demo callback. */
async function signIn(browser: Browser): Promise<URL> {
  const start = await browser.get(`${server.url}${startPath}`);
  expect(start.status).toBe(303);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.href.startsWith(`${server.issuers[0]}/oauth2/authorize?`)).toBe(true);
  expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
    client_id: 'demo-spa',
    redirect_uri: `${server.url}/demo/callback`,
    response_type: 'code',
    code_challenge_method: 'S256',
    scope: 'openid profile email',
  });

  const login = await browser.follow(start, server.url);
  expect(login.html).toContain('name="password"');
  let res = await browser.submit(login, { username: alice.username, password: alice.password });
  if (!isCallback(res)) {
    const consent = await browser.follow(res, login.url);
    expect(consent.html).toContain('value="allow"');
    res = await browser.submit(consent, { decision: 'allow' });
  }
  expect(res.status).toBe(303);
  expect(isCallback(res)).toBe(true);
  return new URL(res.headers.get('location')!);
}

describe('demo relying party', () => {
  it('signs in with PKCE and shows the verified ID token and access token, escaped', async () => {
    const browser = new Browser();
    const callback = await signIn(browser);
    const res = await browser.get(callback);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(html).toContain('Signed in to demo/main');
    expect(html).toContain('Verified: signature (workspace JWKS), issuer, audience, expiry and nonce.');
    expect(html).toContain('Verified: signature (workspace JWKS), issuer, expiry and typ at+jwt.');
    // Pretty-printed claims, with the quotes of the JSON escaped.
    expect(html).toContain('&quot;email&quot;: &quot;alice@example.com&quot;');
    expect(html).toContain('&quot;typ&quot;: &quot;at+jwt&quot;');
    expect(html).not.toMatch(/<script/i);
  });

  it('refuses a callback whose state was not started in this browser', async () => {
    const callback = await signIn(new Browser());
    const res = await new Browser().get(callback);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Unknown sign-in');
  });

  it('redeems a state once only', async () => {
    const browser = new Browser();
    const callback = await signIn(browser);
    expect((await browser.get(callback)).status).toBe(200);
    expect((await browser.get(callback)).status).toBe(400);
  });

  it('refuses a response from another issuer (RFC 9207)', async () => {
    const browser = new Browser();
    const callback = await signIn(browser);
    callback.searchParams.set('iss', 'http://localhost:1/evil');
    const res = await browser.get(callback);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Wrong issuer');
  });

  it('shows an error response from the authorization server, escaped', async () => {
    const browser = new Browser();
    const start = await browser.get(`${server.url}${startPath}`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const callback = new URL(`${server.url}/demo/callback`);
    callback.search = new URLSearchParams({
      state,
      iss: server.issuers[0]!,
      error: 'access_denied',
      error_description: '<b>no</b>',
    }).toString();
    const html = await (await browser.get(callback)).text();
    expect(html).toContain('access_denied');
    expect(html).toContain('&lt;b&gt;no&lt;/b&gt;');
  });

  it('answers 404 for a workspace without a demo client', async () => {
    const res = await fetch(`${server.url}/demo/start?workspace=nope%2Fnope`);
    expect(res.status).toBe(404);
  });
});

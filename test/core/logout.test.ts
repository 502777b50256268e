// RP-Initiated Logout: the session ends only for its own user's hint or a confirmed form, and redirects only where registered.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, hashToken } from '../../lambdas/core/crypto.js';
import { logout } from '../../lambdas/core/endpoints/logout.js';
import { signJwt } from '../../lambdas/core/jwt/sign.js';
import { Agent, hiddenField, type AgentResponse } from '../support/agent.js';
import { expectSecurityHeaders } from '../support/assertions.js';
import { authorizeUrl, follow, submitDecision, submitLogin, tokenForm, validRequest } from '../support/flow.js';
import { newTestWorkspace, TEST_PASSWORD, type TestWorkspace } from '../support/workspace.js';

const SIGNED_OUT = 'https://spa.example.com/signed-out';
const CLEARED = 'authz_session=; Path=/acme/main/; HttpOnly; SameSite=Lax; Max-Age=0; Secure';

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

interface SignedIn {
  readonly agent: Agent;
  readonly idToken: string;
  /** The session cookie's value. */
  readonly sid: string;
  /** The Set-Cookie header of the login. */
  readonly sessionCookie: string;
}

/** A browser that signed in to spa as `username`: its session, and the ID token spa got. */
async function signIn(username = 'alice'): Promise<SignedIn> {
  const agent = new Agent(t.ws);
  const { params, verifier } = validRequest();
  const page = await follow(agent, await agent.get(authorizeUrl({ ...params, login_hint: username })));
  const login = await submitLogin(agent, page, username);
  const sessionCookie = login.setCookies.find((c) => c.startsWith('authz_session='))!;
  // Consent is asked only the first time a user signs in to spa.
  const back = login.location?.pathname.endsWith('/consent')
    ? await submitDecision(agent, await follow(agent, login), 'allow')
    : login;
  const code = back.location!.searchParams.get('code')!;
  const tokens = (await agent.post('oauth2/token', { form: tokenForm(code, verifier) })).json();
  return { agent, idToken: tokens.id_token, sid: agent.cookies.get('authz_session')!, sessionCookie };
}

async function sessionItem(sid: string) {
  const key = { pk: `SESSION#${hashToken(sid)}` };
  return (await t.doc.send(new GetCommand({ TableName: t.tableName, Key: key }))).Item;
}

const logoutUrl = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
  return `oauth2/logout?${q}`;
};

/** Straight from the core, so that a page's error shows. */
const logoutGet = (agent: Agent, params: Record<string, string | undefined>) =>
  agent.core(logout, 'GET', logoutUrl(params));

function expectRefusedPage(res: AgentResponse & { error?: { error: string } }) {
  expect(res.status).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.setCookies).toEqual([]);
  expectSecurityHeaders(res.headers);
  expect(res.error?.error).toBe('invalid_request');
}

describe('with an id_token_hint of the signed-in user', () => {
  it('ends the session at once, clears the cookie as it was set, and returns with the state exactly as sent', async () => {
    const { agent, idToken, sid, sessionCookie } = await signIn();
    expect(await sessionItem(sid)).toBeDefined();
    const state = 'a b+c/d?e=&f%20g<h>';
    const res = await agent.get(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT, state }));
    expect(res.status).toBe(302);
    expect(res.location!.href.startsWith(`${SIGNED_OUT}?state=`)).toBe(true);
    expect(res.location!.searchParams.get('state')).toBe(state);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.setCookies).toEqual([CLEARED]);
    expect(sessionCookie.replace(/=[^;]*;/, '=;').replace(/Max-Age=\d+/, 'Max-Age=0')).toBe(CLEARED);
    expect(await sessionItem(sid)).toBeUndefined();
    expect(agent.cookies.has('authz_session')).toBe(false);
    expect(t.audit).toContainEqual({ type: 'session.ended', fields: { sub: t.aliceSub, clientId: 'spa' } });
  });

  it('keeps a registered URI, query included, as registered, and adds nothing without a state', async () => {
    const first = await signIn();
    const withQuery = 'https://spa.example.com/bye?from=authz';
    const res = await first.agent.get(
      logoutUrl({ id_token_hint: first.idToken, post_logout_redirect_uri: withQuery, state: 's1' }),
    );
    expect(res.location!.href).toBe(`${withQuery}&state=s1`);
    const second = await signIn();
    const bare = await second.agent.get(
      logoutUrl({ id_token_hint: second.idToken, post_logout_redirect_uri: SIGNED_OUT }),
    );
    expect(bare.location!.href).toBe(SIGNED_OUT);
  });

  it('shows the signed-out page when there is nowhere to return to', async () => {
    const { agent, idToken, sid } = await signIn();
    const res = await agent.get(logoutUrl({ id_token_hint: idToken }));
    expect(res.status).toBe(200);
    expect(res.body).toContain('You are signed out');
    expectSecurityHeaders(res.headers);
    expect(res.setCookies).toEqual([CLEARED]);
    expect(await sessionItem(sid)).toBeUndefined();
  });

  it('accepts the same request as a form POST, answered with 303', async () => {
    const { agent, idToken, sid } = await signIn();
    const res = await agent.post('oauth2/logout', {
      form: { id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT, state: 's' },
    });
    expect(res.status).toBe(303);
    expect(res.location!.href).toBe(`${SIGNED_OUT}?state=s`);
    expect(await sessionItem(sid)).toBeUndefined();
  });

  it('accepts the hint after it has expired: it only names the user', async () => {
    const { agent, idToken, sid } = await signIn();
    t.clock.advance(t.ws.settings.idTokenTtl + 60);
    const res = await agent.get(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT }));
    expect(res.status).toBe(302);
    expect(await sessionItem(sid)).toBeUndefined();
  });

  it('leaves prompt=none nothing to sign in with afterwards: login_required', async () => {
    const { agent, idToken } = await signIn();
    const before = await agent.get(authorizeUrl({ ...validRequest().params, prompt: 'none' }));
    expect(before.location?.searchParams.get('code')).toBeTruthy();
    await agent.get(logoutUrl({ id_token_hint: idToken }));
    const after = await agent.get(authorizeUrl({ ...validRequest().params, prompt: 'none' }));
    expect(after.location?.searchParams.get('error')).toBe('login_required');
    // Even replaying the old session cookie finds nothing.
    const replay = new Agent(t.ws);
    replay.cookies.set('authz_session', (await signInAndLogOut()).sid);
    expect(
      (await replay.get(authorizeUrl({ ...validRequest().params, prompt: 'none' }))).location?.searchParams.get(
        'error',
      ),
    ).toBe('login_required');
  });
});

async function signInAndLogOut(): Promise<SignedIn> {
  const signedIn = await signIn();
  await signedIn.agent.get(logoutUrl({ id_token_hint: signedIn.idToken }));
  return signedIn;
}

describe('refused requests: a 400 page, no redirect, the session intact', () => {
  it.each<[string, (s: SignedIn) => Record<string, string | undefined>]>([
    [
      'an unregistered post_logout_redirect_uri',
      (s) => ({ id_token_hint: s.idToken, post_logout_redirect_uri: 'https://evil.example.com/' }),
    ],
    [
      'a registered URI with a trailing slash',
      (s) => ({ id_token_hint: s.idToken, post_logout_redirect_uri: `${SIGNED_OUT}/` }),
    ],
    [
      'a redirect URI in place of a post-logout one',
      (s) => ({ id_token_hint: s.idToken, post_logout_redirect_uri: 'https://spa.example.com/callback' }),
    ],
    ['a post_logout_redirect_uri without any client', () => ({ post_logout_redirect_uri: SIGNED_OUT })],
    ['a URI registered for another client', () => ({ client_id: 'backend', post_logout_redirect_uri: SIGNED_OUT })],
    ['an unknown client_id', () => ({ client_id: 'nobody' })],
    ['a client_id other than the hint audience', (s) => ({ id_token_hint: s.idToken, client_id: 'first' })],
    ['a repeated state', (s) => ({ id_token_hint: s.idToken, state: 'a' })],
    ['a malformed id_token_hint', () => ({ id_token_hint: 'not.a.jwt' })],
  ])('%s', async (name, paramsOf) => {
    const signedIn = await signIn();
    const params = paramsOf(signedIn);
    const url = name === 'a repeated state' ? `${logoutUrl(params)}&state=b` : logoutUrl(params);
    expectRefusedPage(await signedIn.agent.core(logout, 'GET', url));
    expect(await sessionItem(signedIn.sid)).toBeDefined();
    expect(signedIn.agent.cookies.get('authz_session')).toBe(signedIn.sid);
  });

  it('a hint signed by another key, a hint of another issuer, and an access token as hint', async () => {
    const signedIn = await signIn();
    const claims = decodeJwt(signedIn.idToken);
    const { privateKey } = await generateKeyPair('RS256');
    const kid = (await t.ws.keys.active.publicJwk()).kid;
    const foreignKey = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
    const foreignIssuer = await signJwt(
      t.ws.keys.active,
      { typ: 'JWT' },
      { ...claims, iss: 'https://evil.example.com' },
    );
    const accessToken = await signJwt(t.ws.keys.active, { typ: 'at+jwt' }, { ...claims });
    for (const hint of [foreignKey, foreignIssuer, accessToken]) {
      expectRefusedPage(await logoutGet(signedIn.agent, { id_token_hint: hint, post_logout_redirect_uri: SIGNED_OUT }));
    }
    expect(await sessionItem(signedIn.sid)).toBeDefined();
  });
});

describe('without a hint of the signed-in user: a confirmation first', () => {
  async function confirmationPage(signedIn: SignedIn, params: Record<string, string | undefined>) {
    const page = await signedIn.agent.get(logoutUrl(params));
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers);
    expect(page.setCookies).toEqual([]);
    expect(page.body).toContain('Sign out of acme/main?');
    expect(page.body).toMatch(/<form method="post" action="https:\/\/auth\.example\.com\/acme\/main\/oauth2\/logout">/);
    expect(page.body).toContain('name="logout" value="confirm"');
    expect(await sessionItem(signedIn.sid)).toBeDefined();
    return page;
  }

  /** The page's form as the browser posts it, with `change` applied. */
  function formOf(page: AgentResponse, change: Record<string, string | undefined> = {}) {
    const form: Record<string, string> = { logout: 'confirm' };
    for (const name of ['client_id', 'post_logout_redirect_uri', 'state', 'csrf']) {
      if (page.body.includes(`name="${name}"`)) form[name] = hiddenField(page.body, name);
    }
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete form[k];
      else form[k] = v;
    }
    return form;
  }

  it('with no hint: the session stays until the confirmed POST, which returns with the state', async () => {
    const signedIn = await signIn();
    const page = await confirmationPage(signedIn, {
      client_id: 'spa',
      post_logout_redirect_uri: SIGNED_OUT,
      state: 'st',
    });
    expect(page.body).toContain(
      '<strong>Single-page &lt;app&gt; &amp; &quot;friends&quot;</strong> asks you to sign out.',
    );
    const res = await signedIn.agent.post('oauth2/logout', { form: formOf(page) });
    expect(res.status).toBe(303);
    expect(res.location!.href).toBe(`${SIGNED_OUT}?state=st`);
    expect(res.setCookies).toEqual([CLEARED]);
    expect(await sessionItem(signedIn.sid)).toBeUndefined();
  });

  it('with a hint of another user: the same question, and a plain signed-out page after it', async () => {
    const alice = await signIn();
    const carol = await signIn('carol');
    const page = await confirmationPage(alice, { id_token_hint: carol.idToken });
    const res = await alice.agent.post('oauth2/logout', { form: formOf(page) });
    expect(res.status).toBe(200);
    expect(res.body).toContain('You are signed out');
    expect(await sessionItem(alice.sid)).toBeUndefined();
    expect(await sessionItem(carol.sid)).toBeDefined();
  });

  it('escapes every value it puts in the page', async () => {
    const signedIn = await signIn();
    const page = await confirmationPage(signedIn, { client_id: 'spa', state: '"><script>alert(1)</script>' });
    expect(page.body).not.toContain('<script>');
    expect(formOf(page).state).toBe('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it.each<[string, (page: AgentResponse, other: AgentResponse) => Record<string, string | undefined>]>([
    ['no CSRF token', () => ({ csrf: undefined })],
    ['a wrong CSRF token', () => ({ csrf: 'x'.repeat(43) })],
    ['the CSRF token of another browser', (_page, other) => ({ csrf: hiddenField(other.body, 'csrf') })],
    ['an unregistered post_logout_redirect_uri', () => ({ post_logout_redirect_uri: 'https://evil.example.com/' })],
  ])('refuses a POST with %s: 400, session intact', async (_case, change) => {
    const signedIn = await signIn();
    const page = await confirmationPage(signedIn, { client_id: 'spa', post_logout_redirect_uri: SIGNED_OUT });
    const other = await signIn();
    const otherPage = await confirmationPage(other, { client_id: 'spa' });
    const res = await signedIn.agent.core(logout, 'POST', 'oauth2/logout', {
      form: formOf(page, change(page, otherPage)),
    });
    expectRefusedPage(res);
    expect(await sessionItem(signedIn.sid)).toBeDefined();
  });

  it('refuses a confirmation from a browser without the session', async () => {
    const signedIn = await signIn();
    const page = await confirmationPage(signedIn, { client_id: 'spa' });
    expectRefusedPage(await new Agent(t.ws).core(logout, 'POST', 'oauth2/logout', { form: formOf(page) }));
    expect(await sessionItem(signedIn.sid)).toBeDefined();
  });

  it('refuses a POST that is not a form', async () => {
    const signedIn = await signIn();
    const res = await signedIn.agent.core(logout, 'POST', 'oauth2/logout', {
      body: '{"logout":"confirm"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expectRefusedPage(res);
    expect(await sessionItem(signedIn.sid)).toBeDefined();
  });
});

describe('without a session', () => {
  it('has nothing to confirm: straight to the registered URI, or the signed-out page', async () => {
    const agent = new Agent(t.ws);
    const res = await agent.get(logoutUrl({ client_id: 'spa', post_logout_redirect_uri: SIGNED_OUT, state: 's' }));
    expect(res.status).toBe(302);
    expect(res.location!.href).toBe(`${SIGNED_OUT}?state=s`);
    const page = await agent.get(logoutUrl({}));
    expect(page.status).toBe(200);
    expect(page.body).toContain('You are signed out');
  });

  it('is advertised as the end_session_endpoint', async () => {
    const metadata = (await new Agent(t.ws).get('.well-known/openid-configuration')).json();
    expect(metadata.end_session_endpoint).toBe(`${t.ws.issuer}/oauth2/logout`);
  });
});

// The Allow POST issues a code only while the authentication the transaction rests on still holds (OIDC Core §3.1.2.1).
import { describe, expect, it } from 'vitest';
import { signOutUser } from '../../lambdas/admin/users.js';
import { SESSION_COOKIE } from '../../lambdas/core/cookies.js';
import { hashToken } from '../../lambdas/core/crypto.js';
import { nowSeconds, type WorkspaceSettings } from '../../lambdas/core/workspace.js';
import { Agent, hiddenField, type AgentResponse } from '../support/agent.js';
import { authorizeUrl, follow, obtainCode, submitDecision, submitLogin, validRequest } from '../support/flow.js';
import { claimsOf } from '../support/lifecycle.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

/** A browser signed in for `openid profile` at spa, then shown the consent page for one more scope (SSO, no login). */
async function consentPageFromSession(opts: { settings?: Partial<WorkspaceSettings>; maxAge?: string } = {}) {
  const t = await newTestWorkspace({ settings: opts.settings });
  const browser = new Agent(t.ws);
  await obtainCode(browser, validRequest('spa', undefined, 'openid profile').params);
  const request = validRequest('spa', undefined, 'openid profile email');
  const params = { ...request.params, ...(opts.maxAge !== undefined && { max_age: opts.maxAge }) };
  const page = await follow(browser, await browser.get(authorizeUrl(params)));
  expect(page.body).toContain('name="decision"');
  return { t, browser, page, verifier: request.verifier };
}

/** Allow was answered with the login form of the same transaction: no code, no consent remembered beyond the first. */
async function expectSignInAgain(t: TestWorkspace, res: AgentResponse) {
  expect(res.status).toBe(200);
  expect(res.location).toBeUndefined();
  expect(res.body).toContain('name="password"');
  expect(t.audit.filter((e) => e.type === 'consent.granted')).toHaveLength(1);
  expect((await t.ws.interactions.getConsent(t.aliceSub, 'spa'))?.scopes).toEqual(['openid', 'profile']);
}

/** Signs in again on the login form Allow answered, allows, and returns the code's redirect. */
async function signInAgainAndAllow(browser: Agent, loginForm: AgentResponse): Promise<URL> {
  const consent = await follow(browser, await submitLogin(browser, loginForm));
  expect(consent.body).toContain('name="decision"');
  const res = await submitDecision(browser, consent, 'allow');
  expect(res.location?.searchParams.get('code')).toBeTruthy();
  return res.location!;
}

describe('Allow, once the transaction’s authentication no longer holds', () => {
  it('max_age elapsed since the sign-in while the consent page was open: sign in again, then a fresh auth_time', async () => {
    const { t, browser, page, verifier } = await consentPageFromSession({ maxAge: '60' });
    t.clock.advance(61);

    const res = await submitDecision(browser, page, 'allow');
    await expectSignInAgain(t, res);

    const loc = await signInAgainAndAllow(browser, res);
    const tokens = await browser.post('oauth2/token', {
      form: {
        grant_type: 'authorization_code',
        code: loc.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: 'https://spa.example.com/callback',
        client_id: 'spa',
      },
    });
    const id = claimsOf(tokens.json().id_token);
    expect(id.iat - id.auth_time).toBeLessThanOrEqual(60);
  });

  it('max_age elapsed after a login inside the transaction: sign in again', async () => {
    const t = await newTestWorkspace();
    const browser = new Agent(t.ws);
    const login = await follow(browser, await browser.get(authorizeUrl({ ...validRequest().params, max_age: '30' })));
    const consent = await follow(browser, await submitLogin(browser, login));
    expect(consent.body).toContain('name="decision"');
    t.clock.advance(31);
    const res = await submitDecision(browser, consent, 'allow');
    expect(res.status).toBe(200);
    expect(res.body).toContain('name="password"');
    expect(t.audit.some((e) => e.type === 'consent.granted')).toBe(false);
    await signInAgainAndAllow(browser, res);
  });

  it('within max_age: Allow issues the code', async () => {
    const { t, browser, page } = await consentPageFromSession({ maxAge: '60' });
    t.clock.advance(59);
    expect((await submitDecision(browser, page, 'allow')).location?.searchParams.get('code')).toBeTruthy();
  });

  it('the session ended by RP-initiated logout: sign in again', async () => {
    const { t, browser, page } = await consentPageFromSession();
    const confirm = await browser.get('oauth2/logout');
    const out = await browser.post('oauth2/logout', {
      form: { logout: 'confirm', csrf: hiddenField(confirm.body, 'csrf') },
    });
    expect(out.status).toBe(200);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    const res = await submitDecision(browser, page, 'allow');
    await expectSignInAgain(t, res);
    await signInAgainAndAllow(browser, res);
  });

  it('the session deleted while the browser kept its cookie: sign in again', async () => {
    const { t, browser, page } = await consentPageFromSession();
    await t.ws.interactions.endSession(hashToken(browser.cookies.get(SESSION_COOKIE)!));
    await expectSignInAgain(t, await submitDecision(browser, page, 'allow'));
  });

  it('the session expired: sign in again', async () => {
    const { t, browser, page } = await consentPageFromSession({ settings: { sessionTtl: 120 } });
    t.clock.advance(121);
    await expectSignInAgain(t, await submitDecision(browser, page, 'allow'));
  });

  it('the user signed out everywhere since: sign in again', async () => {
    const { t, browser, page } = await consentPageFromSession();
    await signOutUser(t.stores, 'alice', nowSeconds(t.ws));
    t.clock.advance(1);
    const res = await submitDecision(browser, page, 'allow');
    await expectSignInAgain(t, res);
    await signInAgainAndAllow(browser, res);
  });

  it('the browser holds another session than the transaction’s (signed in again meanwhile): sign in again', async () => {
    const { t, browser, page } = await consentPageFromSession();
    browser.cookies.set(SESSION_COOKIE, 'A'.repeat(43));
    await expectSignInAgain(t, await submitDecision(browser, page, 'allow'));
  });

  it('deny needs no live session: access_denied as ever', async () => {
    const { t, browser, page } = await consentPageFromSession({ maxAge: '1' });
    t.clock.advance(5);
    const res = await submitDecision(browser, page, 'deny');
    expect(res.status).toBe(303);
    expect(res.location?.searchParams.get('error')).toBe('access_denied');
  });
});

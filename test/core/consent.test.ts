// The hosted login and consent pages: form contract, headers, cookies, anti-CSRF, throttling, SSO.
import { describe, expect, it } from 'vitest';
import { Agent, hiddenField } from '../support/agent.js';
import { authorizeUrl, follow, obtainCode, submitDecision, submitLogin, validRequest } from '../support/flow.js';
import { newTestWorkspace, TEST_PASSWORD } from '../support/workspace.js';
import { expectSecurityHeaders } from '../support/assertions.js';

async function loginPage(agent: Agent, params = validRequest().params) {
  const res = await follow(agent, await agent.get(authorizeUrl(params)));
  expect(res.status).toBe(200);
  return res;
}

async function consentPage(agent: Agent, params = validRequest().params) {
  const res = await follow(agent, await submitLogin(agent, await loginPage(agent, params)));
  expect(res.body).toContain('name="decision"');
  return res;
}

describe('pages', () => {
  it('the login page has the form contract and every security header', async () => {
    const t = await newTestWorkspace();
    const res = await loginPage(new Agent(t.ws));
    expect(res.body).toMatch(/<form method="post"/);
    expect(res.body).toContain('name="username"');
    expect(res.body).toContain('name="password"');
    expect(res.body).toMatch(/<label for="username">/);
    expectSecurityHeaders(res.headers);
  });

  it('the consent page lists the scopes and the escaped client name, with allow and deny', async () => {
    const t = await newTestWorkspace();
    const res = await consentPage(new Agent(t.ws));
    for (const s of ['openid', 'profile', 'email']) expect(res.body).toContain(`<strong>${s}</strong>`);
    expect(res.body).toContain('Single-page &lt;app&gt; &amp; &quot;friends&quot;');
    expect(res.body).not.toContain('<app>');
    expect(res.body).toMatch(/name="decision" value="allow"/);
    expect(res.body).toMatch(/name="decision" value="deny"/);
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('escapes a reflected login_hint and username', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const hint = '"><script>alert(1)</script>';
    const page = await loginPage(agent, { ...validRequest().params, login_hint: hint });
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('&quot;&gt;&lt;script&gt;');
    const again = await submitLogin(agent, page, `<img src=x onerror=alert(1)>`, 'wrong');
    expect(again.body).not.toContain('<img');
  });

  it('sets HttpOnly, SameSite=Lax and Secure (on https) cookies scoped to the workspace', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const first = await agent.get(authorizeUrl(validRequest().params));
    const afterLogin = await submitLogin(agent, await follow(agent, first));
    const cookies = [...first.setCookies, ...afterLogin.setCookies];
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const c of cookies) {
      expect(c).toContain('HttpOnly');
      expect(c).toContain('SameSite=Lax');
      expect(c).toContain('Secure');
      expect(c).toContain('Path=/acme/main/');
    }
  });
});

describe('anti-CSRF', () => {
  it('refuses a POST without the form token or with another transaction’s token', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await loginPage(agent);
    const txn = hiddenField(page.body, 'txn');
    const noToken = await agent.post('consent', { form: { txn, username: 'alice', password: TEST_PASSWORD } });
    expect(noToken.status).toBe(403);
    const other = await loginPage(agent);
    const wrongToken = await agent.post('consent', {
      form: { txn, csrf: hiddenField(other.body, 'csrf'), username: 'alice', password: TEST_PASSWORD },
    });
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.headers.location).toBeUndefined();
  });

  it('refuses a POST from another browser even with the right form fields', async () => {
    const t = await newTestWorkspace();
    const page = await loginPage(new Agent(t.ws));
    const attacker = new Agent(t.ws);
    const res = await submitLogin(attacker, page);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.setCookies).toHaveLength(0);
  });

  it('refuses a POST from a browser holding its own binding cookie but not this transaction’s', async () => {
    const t = await newTestWorkspace();
    const page = await loginPage(new Agent(t.ws));
    const attacker = new Agent(t.ws);
    await loginPage(attacker);
    expect(attacker.cookies.get('authz_browser')).toBeTruthy();
    const res = await submitLogin(attacker, page);
    expect(res.status).toBe(400);
    expect(res.setCookies.some((c) => c.startsWith('authz_session'))).toBe(false);
    expect(t.audit.some((e) => e.type === 'login.succeeded')).toBe(false);
  });

  it('guards the allow/deny form the same way', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await consentPage(agent);
    const txn = hiddenField(page.body, 'txn');
    const forged = await agent.post('consent', { form: { txn, csrf: 'x'.repeat(43), decision: 'allow' } });
    expect(forged.status).toBe(403);
    expect(forged.headers.location).toBeUndefined();
    const otherBrowser = new Agent(t.ws);
    await loginPage(otherBrowser);
    expect((await submitDecision(otherBrowser, page, 'allow')).status).toBe(400);
    expect((await submitDecision(agent, page, 'allow')).location?.searchParams.get('code')).toBeTruthy();
  });

  it('answers a duplicated form field with a page, not JSON', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await loginPage(agent);
    const csrf = hiddenField(page.body, 'csrf');
    const res = await agent.post('consent', {
      form: { txn: hiddenField(page.body, 'txn'), csrf: [csrf, csrf], username: 'alice', password: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectSecurityHeaders(res.headers);
  });

  it('refuses a POST that is not a form', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const res = await agent.post('consent', { body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(415);
  });
});

describe('login', () => {
  it('answers a wrong password and an unknown user alike', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const wrong = await submitLogin(agent, await loginPage(agent), 'alice', 'nope');
    const unknown = await submitLogin(agent, await loginPage(agent), 'nobody', 'nope');
    const disabled = await submitLogin(agent, await loginPage(agent), 'mallory', TEST_PASSWORD);
    const strip = (b: string) => b.replace(/value="[^"]*"/g, '');
    expect(wrong.status).toBe(unknown.status);
    expect(strip(wrong.body)).toBe(strip(unknown.body));
    expect(strip(disabled.body)).toBe(strip(unknown.body));
    expect(wrong.body).toContain('The username or password is incorrect.');
    expect(t.audit.filter((e) => e.type === 'login.failed')).toHaveLength(3);
    expect(JSON.stringify(t.audit)).not.toContain(TEST_PASSWORD);
  });

  it('throttles a username after repeated failures, even with the right password', async () => {
    const t = await newTestWorkspace({ settings: { maxFailuresPerUsername: 3 } });
    const agent = new Agent(t.ws);
    for (let i = 0; i < 3; i++) await submitLogin(agent, await loginPage(agent), 'alice', 'nope', `198.51.100.${i}`);
    const blocked = await submitLogin(agent, await loginPage(agent), 'alice', TEST_PASSWORD, '198.51.100.99');
    expect(blocked.status).toBe(429);
    expect(blocked.setCookies.some((c) => c.startsWith('authz_session'))).toBe(false);
    t.clock.advance(t.ws.settings.loginThrottleWindow + 1);
    const later = await submitLogin(agent, await loginPage(agent), 'alice', TEST_PASSWORD, '198.51.100.99');
    expect(later.status).toBe(303);
  });

  it('parallel guesses cannot outrun the per-username limit', async () => {
    const t = await newTestWorkspace({ settings: { maxFailuresPerUsername: 3 } });
    const agent = new Agent(t.ws);
    const pages = [];
    for (let i = 0; i < 20; i++) pages.push(await loginPage(agent));
    const results = await Promise.all(
      pages.map((page, i) =>
        submitLogin(agent, page, 'alice', i === 19 ? TEST_PASSWORD : `guess-${i}`, `198.51.100.${i}`),
      ),
    );
    expect(t.audit.filter((e) => e.type === 'login.failed').length).toBeLessThanOrEqual(3);
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(16);
    expect(results.filter((r) => r.status === 303).length).toBeLessThanOrEqual(1);
  });

  it('audit events never carry what was typed as the username', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    await submitLogin(agent, await loginPage(agent), 'MyS3cretPassw0rd!', 'x');
    expect(t.audit.map((e) => e.type)).toEqual(['login.failed']);
    expect(JSON.stringify(t.audit)).not.toContain('MyS3cretPassw0rd!');
  });

  it('treats an absurdly long username as a failed login, not a server error', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const res = await submitLogin(agent, await loginPage(agent), '€'.repeat(1300), 'x');
    expect(res.status).toBe(200);
    expect(res.body).toContain('The username or password is incorrect.');
  });

  it('throttles a source address across usernames', async () => {
    const t = await newTestWorkspace({ settings: { maxFailuresPerAddress: 3 } });
    const agent = new Agent(t.ws);
    for (const u of ['a', 'b', 'c']) await submitLogin(agent, await loginPage(agent), u, 'nope', '192.0.2.1');
    const blocked = await submitLogin(agent, await loginPage(agent), 'alice', TEST_PASSWORD, '192.0.2.1');
    expect(blocked.status).toBe(429);
    const elsewhere = await submitLogin(agent, await loginPage(agent), 'alice', TEST_PASSWORD, '192.0.2.2');
    expect(elsewhere.status).toBe(303);
  });

  it('does not count attempts an address was refused for against the username they name (no lockout by proxy)', async () => {
    // GIVEN: one address at its limit, then trying alice more often than her own limit allows
    const t = await newTestWorkspace({ settings: { maxFailuresPerAddress: 3, maxFailuresPerUsername: 2 } });
    const agent = new Agent(t.ws);
    for (const u of ['a', 'b', 'c']) await submitLogin(agent, await loginPage(agent), u, 'nope', '198.51.100.9');
    for (let i = 0; i < 3; i++) {
      const refused = await submitLogin(agent, await loginPage(agent), 'alice', 'nope', '198.51.100.9');
      expect(refused.status).toBe(429);
    }

    // WHEN: alice signs in from her own address
    const own = await submitLogin(agent, await loginPage(agent), 'alice', TEST_PASSWORD, '192.0.2.50');

    // THEN
    expect(own.status).toBe(303);
  });
});

describe('consent decisions', () => {
  it('allow does not issue a code for a user disabled since the consent page was shown', async () => {
    // GIVEN
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await consentPage(agent);
    await t.stores.directory.updateUser('alice', { disabled: true });

    // WHEN
    const res = await submitDecision(agent, page, 'allow');

    // THEN
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    expect(t.audit.some((e) => e.type === 'consent.granted')).toBe(false);
  });

  it('deny sends access_denied with state and iss, by 303', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const { params } = validRequest();
    const res = await submitDecision(agent, await consentPage(agent, params), 'deny');
    expect(res.status).toBe(303);
    expect(res.location?.searchParams.get('error')).toBe('access_denied');
    expect(res.location?.searchParams.get('state')).toBe(params.state);
    expect(res.location?.searchParams.get('iss')).toBe(t.ws.issuer);
    expect(t.audit.some((e) => e.type === 'consent.denied')).toBe(true);
  });

  it('a transaction is consumed exactly once', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await consentPage(agent);
    const results = await Promise.all(Array.from({ length: 10 }, () => submitDecision(agent, page, 'allow')));
    const codes = results.filter((r) => r.location?.searchParams.get('code'));
    expect(codes).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(9);
    const again = await submitDecision(agent, page, 'allow');
    expect(again.status).toBe(400);
  });

  it('every page the consent endpoint answers carries the security headers', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const consent = await consentPage(agent);
    const csrfFailure = await agent.post('consent', {
      form: { txn: hiddenField(consent.body, 'txn'), csrf: 'wrong', decision: 'allow' },
    });
    const expired = await agent.get('consent?txn=AAAAAAAAAAAAAAAAAAAAAA');
    for (const res of [consent, csrfFailure, expired]) expectSecurityHeaders(res.headers);
    expect([csrfFailure.status, expired.status]).toEqual([403, 400]);
  });

  it('refuses an expired transaction', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await loginPage(agent);
    t.clock.advance(t.ws.settings.transactionTtl + 1);
    const res = await submitLogin(agent, page);
    expect(res.status).toBe(400);
    expect(res.body).toContain('expired');
  });
});

describe('single sign-on and remembered consent', () => {
  it('a second authorization for the same scopes skips login and consent', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    await obtainCode(agent, validRequest().params);
    const res = await agent.get(authorizeUrl(validRequest().params));
    expect(res.status).toBe(302);
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });

  it('asks consent again for a new scope only', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    await obtainCode(agent, validRequest('spa', undefined, 'openid profile').params);
    const page = await follow(
      agent,
      await agent.get(authorizeUrl(validRequest('spa', undefined, 'openid email').params)),
    );
    expect(page.body).toContain('name="decision"');
    expect(page.body).not.toContain('name="password"');
    await submitDecision(agent, page, 'allow');
    const res = await agent.get(authorizeUrl(validRequest('spa', undefined, 'openid profile email').params));
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=login, prompt=consent and max_age force the step they name', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    await obtainCode(agent, validRequest().params);
    const login = await follow(agent, await agent.get(authorizeUrl({ ...validRequest().params, prompt: 'login' })));
    expect(login.body).toContain('name="password"');
    const consent = await follow(agent, await agent.get(authorizeUrl({ ...validRequest().params, prompt: 'consent' })));
    expect(consent.body).toContain('name="decision"');
    t.clock.advance(10);
    const maxAge = await follow(agent, await agent.get(authorizeUrl({ ...validRequest().params, max_age: '5' })));
    expect(maxAge.body).toContain('name="password"');
    const none = await agent.get(
      authorizeUrl({ ...validRequest('spa', undefined, 'openid orders:read').params, prompt: 'none' }),
    );
    expect(none.location?.searchParams.get('error')).toBe('consent_required');
  });

  it('first-party clients never show the consent page', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const page = await follow(
      agent,
      await agent.get(authorizeUrl(validRequest('first', 'https://first.example.com/cb').params)),
    );
    const res = await submitLogin(agent, page);
    expect(res.status).toBe(303);
    expect(res.location?.origin).toBe('https://first.example.com');
    expect(res.location?.searchParams.get('code')).toBeTruthy();
  });
});

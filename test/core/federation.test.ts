// Identity sources end to end: a second workspace of this server as the upstream provider, through the handlers.
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { Agent, hiddenField } from '../support/agent.js';
import {
  federatedPair,
  federatedSignIn,
  leaveForSource,
  newBrowser,
  type FederatedPair,
} from '../support/federation.js';
import { authorizeUrl, follow, obtainCode, submitLogin, tokenForm, validRequest } from '../support/flow.js';

const linkedUsers = async (pair: FederatedPair) =>
  (await pair.main.stores.directory.listUsers()).filter((u) => u.link !== undefined);

/** Redeems the code main sent the client and returns the ID token's claims. */
async function idTokenClaims(pair: FederatedPair, location: URL, verifier: string) {
  const res = await new Agent(pair.main.ws).post('oauth2/token', {
    form: tokenForm(location.searchParams.get('code')!, verifier, {
      client_id: 'first',
      redirect_uri: 'https://first.example.com/cb',
    }),
  });
  expect(res.status).toBe(200);
  return decodeJwt(res.json().id_token);
}

describe('federated sign-in', () => {
  it('offers one button per source, whose value is the source id, beside the password form', async () => {
    const pair = await federatedPair();
    const agent = new Agent(pair.main.ws);
    const login = await follow(agent, await agent.get(authorizeUrl(validRequest().params)));
    expect(login.body).toMatch(
      /<button type="submit" name="source" value="corp"[^>]*>Continue with Corp SSO<\/button>/,
    );
    expect(login.body).toContain('name="password"');
  });

  it('sends the browser to the source with code, PKCE S256, state, nonce and our one callback', async () => {
    const pair = await federatedPair();
    const { res } = await leaveForSource(newBrowser(pair));
    expect(res.status).toBe(303);
    expect(res.location!.href.startsWith(`${pair.upstream.ws.issuer}/oauth2/authorize?`)).toBe(true);
    const q = Object.fromEntries(res.location!.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: 'acme-main',
      redirect_uri: `${pair.main.ws.issuer}/federation/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('creates the linked user at the first sign-in and reuses its sub, with refreshed claims, at the next', async () => {
    const pair = await federatedPair();
    const first = await federatedSignIn(newBrowser(pair));
    expect(first.res.status).toBe(303);
    expect(first.res.location!.origin + first.res.location!.pathname).toBe('https://first.example.com/cb');
    expect(first.res.location!.searchParams.get('state')).toBe(first.request.params.state);
    const claims = await idTokenClaims(pair, first.res.location!, first.request.verifier);

    const [user, ...others] = await linkedUsers(pair);
    expect(others).toEqual([]);
    expect(user).toMatchObject({
      sub: claims.sub,
      username: `corp:${pair.upstream.aliceSub}`,
      link: { sourceId: 'corp', sub: pair.upstream.aliceSub },
      claims: { name: 'Alice <Liddell>', email: 'alice@example.com' },
    });
    expect(user!.passwordHash).toBeUndefined();
    // The local sub is ours, never the upstream one.
    expect(claims.sub).not.toBe(pair.upstream.aliceSub);
    expect(pair.main.audit.map((e) => e.type)).toEqual(
      expect.arrayContaining(['federation.started', 'user.linked', 'login.succeeded']),
    );

    await pair.upstream.stores.directory.updateUser('alice', {
      claims: { name: 'Alice Liddell', email: 'a@corp.example' },
    });
    const second = await federatedSignIn(newBrowser(pair));
    const again = await idTokenClaims(pair, second.res.location!, second.request.verifier);
    expect(again.sub).toBe(claims.sub);
    const [refreshed, ...none] = await linkedUsers(pair);
    expect(none).toEqual([]);
    expect(refreshed!.claims).toEqual({ name: 'Alice Liddell', email: 'a@corp.example' });
  });

  it('never links by email: a local user with the same email stays apart', async () => {
    const pair = await federatedPair();
    const local = await pair.main.stores.users.findBySub(pair.main.aliceSub);
    expect(local!.claims.email).toBe('alice@example.com');
    const { res, request } = await federatedSignIn(newBrowser(pair));
    const claims = await idTokenClaims(pair, res.location!, request.verifier);
    expect(claims.sub).not.toBe(pair.main.aliceSub);
    expect(await pair.main.stores.users.findBySub(pair.main.aliceSub)).toEqual(local);
  });

  it('refuses a disabled linked user, and issues no code', async () => {
    const pair = await federatedPair();
    await federatedSignIn(newBrowser(pair));
    const [user] = await linkedUsers(pair);
    await pair.main.stores.directory.updateUser(user!.username, { disabled: true });
    const { res } = await federatedSignIn(newBrowser(pair));
    expect(res.status).toBe(403);
    expect(res.body).toContain('This account cannot sign in here.');
    expect(res.location).toBeUndefined();
    expect((await linkedUsers(pair))[0]!.claims).toEqual(user!.claims);
  });

  it('refuses a replayed callback, and a callback in another browser', async () => {
    const pair = await federatedPair();
    const browser = newBrowser(pair);
    const { callback, res } = await federatedSignIn(browser);
    expect(res.status).toBe(303);
    const replay = await browser.main.get(callback.href);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('This sign-in request has expired');

    // A fresh sign-in whose callback reaches another browser: that browser did not leave for the source.
    const other = newBrowser(pair);
    const { res: toSource } = await leaveForSource(other);
    const code = await obtainCode(other.upstream, Object.fromEntries(toSource.location!.searchParams));
    const stranger = new Agent(pair.main.ws);
    stranger.cookies.set('authz_browser', 'a-browser-cookie-of-someone-else');
    const refused = await stranger.get(code.href);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('This sign-in request has expired');
    expect(await linkedUsers(pair)).toHaveLength(1);
  });

  it('refuses a state it never issued', async () => {
    const pair = await federatedPair();
    const browser = newBrowser(pair);
    await leaveForSource(browser);
    const res = await browser.main.get(
      `federation/callback?code=abc&state=${'x'.repeat(43)}&iss=${encodeURIComponent(pair.upstream.ws.issuer)}`,
    );
    expect(res.status).toBe(400);
    const none = await browser.main.get('federation/callback');
    expect(none.status).toBe(400);
    expect(await linkedUsers(pair)).toEqual([]);
  });

  it('sends access_denied to our client when the source says access_denied, and ends the transaction', async () => {
    const pair = await federatedPair();
    const browser = newBrowser(pair);
    const { res: toSource, request, login } = await leaveForSource(browser);
    const state = toSource.location!.searchParams.get('state')!;
    const res = await browser.main.get(
      `federation/callback?${new URLSearchParams({ error: 'access_denied', state, iss: pair.upstream.ws.issuer })}`,
    );
    expect(res.status).toBe(303);
    expect(Object.fromEntries(res.location!.searchParams)).toMatchObject({
      error: 'access_denied',
      state: request.params.state,
      iss: pair.main.ws.issuer,
    });
    expect(res.location!.origin).toBe('https://first.example.com');
    expect((await browser.main.get(`consent?txn=${hiddenField(login.body, 'txn')}`)).status).toBe(400);
    expect(await linkedUsers(pair)).toEqual([]);
  });

  it('refuses an authorization response from another issuer (RFC 9207)', async () => {
    const pair = await federatedPair();
    const browser = newBrowser(pair);
    const { res: toSource } = await leaveForSource(browser);
    const state = toSource.location!.searchParams.get('state')!;
    const res = await browser.main.get(
      `federation/callback?${new URLSearchParams({ code: 'c', state, iss: 'https://evil.example.com' })}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).toContain('could not be verified');
  });

  it('goes straight to the one source when built-in users are off, and refuses passwords', async () => {
    const pair = await federatedPair({ settings: { builtInUsers: false } });
    const agent = new Agent(pair.main.ws);
    const toConsent = await agent.get(authorizeUrl(validRequest().params));
    const res = await follow(agent, toConsent);
    expect(res.status).toBe(303);
    expect(res.location!.href.startsWith(`${pair.upstream.ws.issuer}/oauth2/authorize?`)).toBe(true);

    // With two sources there is a choice to make: two buttons, no password form, and a posted password is refused.
    const [corp] = pair.main.ws.federation.sources;
    const twoSources = new Agent({
      ...pair.main.ws,
      federation: { ...pair.main.ws.federation, sources: [corp!, { ...corp!, id: 'other', name: 'Other SSO' }] },
    });
    const page = await follow(twoSources, await twoSources.get(authorizeUrl(validRequest().params)));
    expect(page.status).toBe(200);
    expect(page.body).toContain('value="corp"');
    expect(page.body).toContain('value="other"');
    expect(page.body).not.toContain('name="password"');
    const refused = await submitLogin(twoSources, page);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Choose a way of signing in below.');
    expect(refused.location).toBeUndefined();
  });
});

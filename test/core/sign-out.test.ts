// Signing a user out everywhere: what rests on an earlier sign-in (sessions, codes, grants, tokens) stops counting.
import { describe, expect, it } from 'vitest';
import { setDisabled, setPassword, signOutUser } from '../../lambdas/admin/users.js';
import { nowSeconds } from '../../lambdas/core/workspace.js';
import { Agent } from '../support/agent.js';
import { authorizeUrl, obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { introspect, refresh, signIn } from '../support/lifecycle.js';
import { newTestWorkspace, TEST_PASSWORD, type TestWorkspace } from '../support/workspace.js';

describe('a user signed out since the sign-in', () => {
  it('has every refresh token refused and every token introspected inactive; userinfo refuses the access token', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t);
    const rotated = (await refresh(t, first.refresh_token)).json();

    await signOutUser(t.stores, 'alice', nowSeconds(t.ws));

    const res = await refresh(t, rotated.refresh_token);
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
    for (const token of [first.access_token, rotated.access_token, rotated.refresh_token])
      expect(await introspect(t, token)).toEqual({ active: false });
    const info = await new Agent(t.ws).get('userinfo', {
      headers: { Authorization: `Bearer ${rotated.access_token}` },
    });
    expect(info.status).toBe(401);
    expect(info.json().error).toBe('invalid_token');
  });

  it('has the browser session ignored at /oauth2/authorize, and signs in afresh to a working grant', async () => {
    const t = await newTestWorkspace();
    const browser = new Agent(t.ws);
    await signIn(t, { agent: browser });
    t.clock.advance(1);

    await signOutUser(t.stores, 'alice', nowSeconds(t.ws));
    const silent = await browser.get(
      authorizeUrl({ ...validRequest('offline', 'https://offline.example.com/cb').params, prompt: 'none' }),
    );
    expect(silent.location?.searchParams.get('error')).toBe('login_required');

    t.clock.advance(1);
    const again = await signIn(t, { agent: browser });
    expect((await introspect(t, again.access_token)).active).toBe(true);
    expect((await refresh(t, again.refresh_token)).status).toBe(200);
  });

  it('cannot redeem a code issued before the sign-out', async () => {
    const t = await newTestWorkspace();
    const { params, verifier } = validRequest();
    const code = (await obtainCode(new Agent(t.ws), params)).searchParams.get('code')!;

    await signOutUser(t.stores, 'alice', nowSeconds(t.ws));

    const res = await new Agent(t.ws).post('oauth2/token', { form: tokenForm(code, verifier) });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
  });

  it('keeps the tokens of other users working', async () => {
    const t = await newTestWorkspace();
    const alice = await signIn(t);
    await t.stores.directory.createUser({ sub: 'sub-bob', username: 'bob', passwordHash: 'x', claims: {} });

    await signOutUser(t.stores, 'bob', nowSeconds(t.ws));

    expect((await introspect(t, alice.access_token)).active).toBe(true);
    expect((await refresh(t, alice.refresh_token)).status).toBe(200);
  });
});

/** An admin change to alice at the workspace's current time; `then` undoes what keeps her out, if anything. */
type AccountChange = [name: string, change: (t: TestWorkspace) => Promise<void>, signsInAgain: boolean];

describe('an admin change that ends what the user’s earlier sign-ins gave (ASVS V3.3.3, V3.3.4)', () => {
  it.each<AccountChange>([
    [
      'users set-password',
      (t) => setPassword(t.stores, 'alice', async () => 'another-password-of-some-length', nowSeconds(t.ws)),
      false,
    ],
    ['users disable', (t) => setDisabled(t.stores, 'alice', true, nowSeconds(t.ws)), false],
    [
      'users disable, then users enable',
      async (t) => {
        await setDisabled(t.stores, 'alice', true, nowSeconds(t.ws));
        await setDisabled(t.stores, 'alice', false, nowSeconds(t.ws));
      },
      true,
    ],
  ])(
    '%s: no SSO from the old session, its refresh token invalid_grant, its tokens inactive',
    async (_name, change, signsInAgain) => {
      const t = await newTestWorkspace();
      const browser = new Agent(t.ws);
      const tokens = await signIn(t, { agent: browser });

      await change(t);

      // The scopes already consented to: before the change, this answered with a code.
      const { params } = validRequest('offline', 'https://offline.example.com/cb', 'openid profile offline_access');
      const silent = await browser.get(authorizeUrl({ ...params, prompt: 'none' }));
      expect(silent.status).toBe(302);
      expect(silent.location?.searchParams.get('error')).toBe('login_required');
      expect(silent.location?.searchParams.get('code')).toBeNull();
      const res = await refresh(t, tokens.refresh_token);
      expect(res.status).toBe(400);
      expect(res.json().error).toBe('invalid_grant');
      for (const token of [tokens.access_token, tokens.refresh_token])
        expect(await introspect(t, token)).toEqual({ active: false });
      const info = await new Agent(t.ws).get('userinfo', {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      expect(info.status).toBe(401);
      expect(info.json().error).toBe('invalid_token');

      if (!signsInAgain) return;
      t.clock.advance(1);
      const again = await signIn(t, { agent: browser });
      expect((await introspect(t, again.access_token)).active).toBe(true);
    },
  );

  it('set-password: the new password signs in afresh to a working grant', async () => {
    const t = await newTestWorkspace();
    const browser = new Agent(t.ws);
    await signIn(t, { agent: browser });
    await setPassword(t.stores, 'alice', async () => TEST_PASSWORD, nowSeconds(t.ws));
    t.clock.advance(1);
    const again = await signIn(t, { agent: browser });
    expect((await introspect(t, again.access_token)).active).toBe(true);
    expect((await refresh(t, again.refresh_token)).status).toBe(200);
  });
});

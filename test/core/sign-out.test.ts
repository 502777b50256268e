// Signing a user out everywhere: what rests on an earlier sign-in (sessions, codes, grants, tokens) stops counting.
import { describe, expect, it } from 'vitest';
import { signOutUser } from '../../lambdas/admin/users.js';
import { nowSeconds } from '../../lambdas/core/workspace.js';
import { Agent } from '../support/agent.js';
import { authorizeUrl, obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { introspect, refresh, signIn } from '../support/lifecycle.js';
import { newTestWorkspace } from '../support/workspace.js';

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

// UserInfo's audience rule: an access token with `openid` is made out to the issuer too, and UserInfo accepts no other.
import { describe, expect, it } from 'vitest';
import { newId } from '../../lambdas/core/crypto.js';
import { signJwt } from '../../lambdas/core/jwt/sign.js';
import { nowSeconds } from '../../lambdas/core/workspace.js';
import { Agent } from '../support/agent.js';
import { basic, claimsOf, refresh, signIn } from '../support/lifecycle.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

const API = 'https://api.example.com';
const BILLING = 'https://billing.example.com';

const userinfo = (t: TestWorkspace, accessToken: string) =>
  new Agent(t.ws).get('userinfo', { headers: { Authorization: `Bearer ${accessToken}` } });

describe('an access token granted openid', () => {
  it('names the issuer beside the resource it was asked for, and UserInfo answers it', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await signIn(t, { scope: 'openid email', resource: BILLING });
    expect(claimsOf(access_token).aud).toEqual([BILLING, t.ws.issuer]);
    const res = await userinfo(t, access_token);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ sub: t.aliceSub, email: 'alice@example.com', email_verified: true });
  });

  it('names the issuer beside the client’s default audience', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await signIn(t, { clientId: 'spa', scope: 'openid' });
    expect(claimsOf(access_token).aud).toEqual([API, t.ws.issuer]);
  });

  it('keeps naming it after a refresh narrowed to one resource; without openid it names the resource only', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t, { scope: 'openid offline_access orders:read' });
    const narrowed = (await refresh(t, first.refresh_token, { resource: BILLING })).json();
    expect(claimsOf(narrowed.access_token).aud).toEqual([BILLING, t.ws.issuer]);
    expect((await userinfo(t, narrowed.access_token)).status).toBe(200);

    const apiOnly = (await refresh(t, narrowed.refresh_token, { scope: 'orders:read', resource: API })).json();
    expect(claimsOf(apiOnly.access_token).aud).toBe(API);
    const res = await userinfo(t, apiOnly.access_token);
    expect(res.status).toBe(403);
    expect(res.json().error).toBe('insufficient_scope');
  });
});

describe('UserInfo', () => {
  it('refuses a token of this workspace with openid whose aud lacks the issuer: invalid_token, 401', async () => {
    const t = await newTestWorkspace();
    const iat = nowSeconds(t.ws);
    // A token for the API alone, as tokens were minted before the rule: signed by the workspace's own key.
    const apiToken = await signJwt(
      t.ws.keys.active,
      { typ: 'at+jwt' },
      {
        iss: t.ws.issuer,
        sub: t.aliceSub,
        aud: API,
        client_id: 'spa',
        scope: 'openid email',
        iat,
        exp: iat + 600,
        jti: newId(),
        auth_time: iat,
      },
    );
    const res = await userinfo(t, apiToken);
    expect(res.status).toBe(401);
    expect(res.json().error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('never answers a client_credentials token: no openid, no user', async () => {
    const t = await newTestWorkspace();
    const token = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'client_credentials' },
      headers: { Authorization: basic('orders-api') },
    });
    expect(token.status).toBe(200);
    const { access_token } = token.json();
    expect(claimsOf(access_token)).toMatchObject({ aud: t.ws.issuer, sub: 'orders-api', scope: '' });
    const res = await userinfo(t, access_token);
    expect(res.status).toBe(403);
    expect(res.json().error).toBe('insufficient_scope');
  });
});

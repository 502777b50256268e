// RFC 7662 introspection through the userinfo handler: who may ask, what an active token shows, and every way to be inactive.
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../lambdas/core/jwt/access-token.js';
import { Agent } from '../support/agent.js';
import { basic, claimsOf, introspect, refresh, revoke, signIn } from '../support/lifecycle.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

/** An access token like ours for alice, signed by another key. */
async function forged(t: TestWorkspace): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(t.clock.now() / 1000);
  return new SignJWT({ scope: 'openid', client_id: 'offline', jti: 'forged' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: (await t.ws.keys.active.publicJwk()).kid })
    .setIssuer(t.ws.issuer)
    .setSubject(t.aliceSub)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

describe('an active token', () => {
  it('access token: the RFC 7662 members, never cached', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await signIn(t);
    const claims = claimsOf(access_token);

    const res = await new Agent(t.ws).post('oauth2/introspect', {
      form: { token: access_token, token_type_hint: 'access_token' },
      headers: { Authorization: basic('orders-api') },
    });

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'openid profile offline_access',
      client_id: 'offline',
      sub: t.aliceSub,
      aud: ['https://api.example.com', 'https://billing.example.com', t.ws.issuer],
      iss: t.ws.issuer,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    });
  });

  it('refresh token: its grant’s scopes and audience, its idle expiry, token_type refresh_token', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t, { resource: 'https://api.example.com' });
    const now = Math.floor(t.clock.now() / 1000);

    expect(await introspect(t, refresh_token)).toEqual({
      active: true,
      token_type: 'refresh_token',
      scope: 'openid profile offline_access',
      client_id: 'offline',
      sub: t.aliceSub,
      aud: ['https://api.example.com'],
      iss: t.ws.issuer,
      exp: now + 14 * 86_400,
      iat: now,
    });
  });
});

describe('an inactive token gets {"active": false} and nothing more', () => {
  it.each<[string, (t: TestWorkspace) => Promise<string>]>([
    [
      'an expired access token',
      async (t) => {
        const { access_token } = await signIn(t);
        t.clock.advance(3600);
        return access_token;
      },
    ],
    [
      'an access token revoked by jti',
      async (t) => {
        const { access_token } = await signIn(t);
        await revoke(t, access_token);
        return access_token;
      },
    ],
    [
      'an access token whose grant was revoked',
      async (t) => {
        const { access_token, refresh_token } = await signIn(t);
        await revoke(t, refresh_token);
        return access_token;
      },
    ],
    [
      'an access token of a disabled user',
      async (t) => {
        const { access_token } = await signIn(t);
        await t.stores.directory.updateUser('alice', { disabled: true });
        return access_token;
      },
    ],
    ['an access token signed by another key', forged],
    [
      'an access token of another workspace, though signed by the same key',
      (t) =>
        signAccessToken(
          { ...t.ws, issuer: 'https://auth.example.com/acme/other' },
          { clientId: 'offline', sub: t.aliceSub, scopes: ['openid'], audience: ['https://api.example.com'] },
          Math.floor(t.clock.now() / 1000),
        ),
    ],
    ['an ID token', async (t) => (await signIn(t)).id_token],
    ['a malformed JWT', async () => 'eyJhbGciOiJub25lIn0.e30.'],
    ['an unknown opaque token', async () => 'x'.repeat(43)],
    [
      'a rotated refresh token',
      async (t) => {
        const { refresh_token } = await signIn(t);
        await refresh(t, refresh_token);
        return refresh_token;
      },
    ],
    [
      'an idle-expired refresh token',
      async (t) => {
        const { refresh_token } = await signIn(t);
        t.clock.advance(14 * 86_400);
        return refresh_token;
      },
    ],
    [
      'a refresh token whose grant was revoked',
      async (t) => {
        const { refresh_token } = await signIn(t);
        await revoke(t, refresh_token);
        return refresh_token;
      },
    ],
  ])('%s', async (_name, tokenOf) => {
    const t = await newTestWorkspace();
    const token = await tokenOf(t);
    expect(await introspect(t, token)).toEqual({ active: false });
  });
});

describe('who may introspect', () => {
  it('a client not registered for introspection is refused with 403 unauthorized_client, public or confidential', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await signIn(t);
    const agent = new Agent(t.ws);

    const confidential = await agent.post('oauth2/introspect', {
      form: { token: access_token },
      headers: { Authorization: basic('offline-backend') },
    });
    expect(confidential.status).toBe(403);
    expect(confidential.json().error).toBe('unauthorized_client');
    const publicClient = await agent.post('oauth2/introspect', { form: { token: access_token, client_id: 'offline' } });
    expect(publicClient.status).toBe(403);
    expect(publicClient.json().error).toBe('unauthorized_client');
  });

  it('without authentication, or with a wrong secret, is a 401 invalid_client', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const anonymous = await agent.post('oauth2/introspect', { form: { token: 'x' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json().error).toBe('invalid_client');
    const wrong = await agent.post('oauth2/introspect', {
      form: { token: 'x' },
      headers: { Authorization: basic('orders-api', 'not-the-secret') },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error).toBe('invalid_client');
  });

  it('must send the token in a form: none, or a JSON body, is a 400 invalid_request', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const none = await agent.post('oauth2/introspect', { form: {}, headers: { Authorization: basic('orders-api') } });
    expect(none.status).toBe(400);
    expect(none.json().error).toBe('invalid_request');
    const json = await agent.post('oauth2/introspect', {
      body: '{"token":"x"}',
      headers: { Authorization: basic('orders-api'), 'Content-Type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.json().error).toBe('invalid_request');
  });
});

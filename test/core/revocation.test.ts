// RFC 7009 revocation through the token handler: a refresh token takes its family along, an access token goes alone by jti.
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { Agent } from '../support/agent.js';
import { basic, claimsOf, introspect, refresh, revoke, signIn } from '../support/lifecycle.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';
import { rawItem } from '../store/records.js';

async function expectRevokedQuietly(res: Promise<{ status: number; body: string; headers: Record<string, string> }>) {
  const r = await res;
  expect(r.status).toBe(200);
  expect(r.body).toBe('');
  expect(r.headers['cache-control']).toBe('no-store');
}

/** An access token like ours, signed by a key (and, if given, an issuer) that is not the workspace's. */
async function foreignAccessToken(t: TestWorkspace, issuer = t.ws.issuer): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(t.clock.now() / 1000);
  return new SignJWT({ scope: 'openid', client_id: 'offline', jti: 'foreign-jti' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: (await t.ws.keys.active.publicJwk()).kid })
    .setIssuer(issuer)
    .setSubject(t.aliceSub)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

describe('revoking a refresh token', () => {
  it('revokes the whole family: the token, its successors and every access token of the grant', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t);
    const second = (await refresh(t, first.refresh_token)).json();

    await expectRevokedQuietly(revoke(t, second.refresh_token, 'offline', { token_type_hint: 'refresh_token' }));

    const res = await refresh(t, second.refresh_token);
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
    expect(await introspect(t, first.access_token)).toEqual({ active: false });
    expect(await introspect(t, second.access_token)).toEqual({ active: false });
    expect(t.audit.find((e) => e.type === 'token.revoked')?.fields).toEqual({
      clientId: 'offline',
      grantId: claimsOf(first.access_token).gid,
      tokenType: 'refresh_token',
    });
  });

  it('works for a confidential client, and with a misleading token_type_hint', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t, { clientId: 'offline-backend' });

    await expectRevokedQuietly(revoke(t, refresh_token, 'offline-backend', { token_type_hint: 'access_token' }));

    expect((await refresh(t, refresh_token, {}, 'offline-backend')).json().error).toBe('invalid_grant');
  });

  it('of another client answers 200 and changes nothing', async () => {
    const t = await newTestWorkspace();
    const { refresh_token, access_token } = await signIn(t);

    await expectRevokedQuietly(revoke(t, refresh_token, 'offline-backend'));

    expect((await introspect(t, refresh_token)).active).toBe(true);
    expect((await introspect(t, access_token)).active).toBe(true);
    expect(t.audit.some((e) => e.type === 'token.revoked')).toBe(false);
    expect((await refresh(t, refresh_token)).status).toBe(200);
  });
});

describe('revoking an access token', () => {
  it('revokes it alone, by jti until it expires: introspection says inactive, the refresh token still works', async () => {
    const t = await newTestWorkspace();
    const { access_token, refresh_token } = await signIn(t);
    const { jti, exp } = claimsOf(access_token);

    await expectRevokedQuietly(revoke(t, access_token));

    expect(await introspect(t, access_token)).toEqual({ active: false });
    expect(await rawItem(t, keys.revokedAccessToken(jti))).toMatchObject({ ttl: exp });
    const next = (await refresh(t, refresh_token)).json();
    expect((await introspect(t, next.access_token)).active).toBe(true);
    // Documented: userinfo checks the signature, expiry and user, not jti revocations (no extra read per call).
    const info = await new Agent(t.ws).get('userinfo', { headers: { Authorization: `Bearer ${access_token}` } });
    expect(info.status).toBe(200);
  });

  it('of another client answers 200, and the token stays active', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await signIn(t);

    await expectRevokedQuietly(revoke(t, access_token, 'offline-backend'));

    expect((await introspect(t, access_token)).active).toBe(true);
    expect(await rawItem(t, keys.revokedAccessToken(claimsOf(access_token).jti))).toBeUndefined();
  });

  it('foreign, expired or already revoked: 200, and nothing written for a token that does not verify', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await signIn(t);
    const foreign = await foreignAccessToken(t);

    await expectRevokedQuietly(revoke(t, foreign));
    await expectRevokedQuietly(revoke(t, access_token));
    await expectRevokedQuietly(revoke(t, access_token));
    expect(await rawItem(t, keys.revokedAccessToken('foreign-jti'))).toBeUndefined();

    const later = await signIn(t);
    t.clock.advance(3600);
    await expectRevokedQuietly(revoke(t, later.access_token));
    expect(await rawItem(t, keys.revokedAccessToken(claimsOf(later.access_token).jti))).toBeUndefined();
  });
});

describe('the revocation request', () => {
  it.each([
    ['an unknown refresh token', 'x'.repeat(43)],
    ['a malformed token', 'not.a.jwt'],
    ['a JWT-shaped garbage token', 'e30.e30.e30'],
  ])('answers 200 for %s', async (_name, token) => {
    const t = await newTestWorkspace();
    await expectRevokedQuietly(revoke(t, token));
  });

  it('needs client authentication: none, or a wrong secret, is a 401 invalid_client and revokes nothing', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t, { clientId: 'offline-backend' });
    const agent = new Agent(t.ws);

    const anonymous = await agent.post('oauth2/revoke', { form: { token: refresh_token } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json().error).toBe('invalid_client');
    const wrong = await agent.post('oauth2/revoke', {
      form: { token: refresh_token },
      headers: { Authorization: basic('offline-backend', 'wrong-secret') },
    });
    expect(wrong.status).toBe(401);

    expect((await introspect(t, refresh_token)).active).toBe(true);
  });

  it.each([
    ['no token', { client_id: 'offline' }, 'invalid_request'],
    ['a repeated token', { client_id: 'offline', token: ['a', 'b'] }, 'invalid_request'],
    ['a repeated hint', { client_id: 'offline', token: 'a', token_type_hint: ['a', 'b'] }, 'invalid_request'],
  ])('refuses %s with 400', async (_name, form, error) => {
    const t = await newTestWorkspace();
    const res = await new Agent(t.ws).post('oauth2/revoke', { form });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe(error);
  });

  it('refuses a JSON body, and answers the CORS preflight', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const json = await agent.post('oauth2/revoke', {
      body: '{"token":"x","client_id":"offline"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.json().error).toBe('invalid_request');
    const preflight = await agent.request('OPTIONS', 'oauth2/revoke');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
  });
});

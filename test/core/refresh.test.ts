// The refresh_token grant through the handlers: rotation, replay revoking the family, bindings, narrowing and lifetimes.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { hashToken } from '../../lambdas/core/crypto.js';
import { Agent } from '../support/agent.js';
import { tokenForm } from '../support/flow.js';
import { claimsOf, introspect, refresh, signIn } from '../support/lifecycle.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';
import { rawItem } from '../store/records.js';

const DAY = 86_400;

async function expectInvalidGrant(res: Promise<{ status: number; json(): any }>) {
  const r = await res;
  expect(r.status).toBe(400);
  expect(r.json()).toMatchObject({ error: 'invalid_grant' });
}

/** Whether the family of `refreshToken` is still alive, asked without consuming anything. */
const active = async (t: TestWorkspace, token: string) => (await introspect(t, token)).active;

describe('refresh tokens issued at the code exchange', () => {
  it('come with offline_access: opaque, 256 bits, stored only as a hash, bound to the grant the access token names', async () => {
    const t = await newTestWorkspace();
    const tokens = await signIn(t);

    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(tokens.refresh_token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const item = await rawItem(t, keys.refreshToken(hashToken(tokens.refresh_token)));
    const gid = claimsOf(tokens.access_token).gid;
    expect(item).toMatchObject({
      grantId: gid,
      clientId: 'offline',
      sub: t.aliceSub,
      scopes: ['openid', 'profile', 'offline_access'],
      audience: ['https://api.example.com', 'https://billing.example.com'],
    });
    expect(JSON.stringify(item)).not.toContain(tokens.refresh_token);
    expect(await rawItem(t, keys.grant(gid))).toMatchObject({ grantId: gid, clientId: 'offline' });
  });

  it('are not issued for openid without offline_access, nor to a client not registered for the grant', async () => {
    const t = await newTestWorkspace();
    expect((await signIn(t, { scope: 'openid profile' })).refresh_token).toBeUndefined();
    expect((await signIn(t, { clientId: 'spa', scope: 'openid profile' })).refresh_token).toBeUndefined();
  });

  it('are issued to a plain OAuth request (no openid) without offline_access, and to confidential clients', async () => {
    const t = await newTestWorkspace();
    const plain = await signIn(t, { scope: 'orders:read' });
    expect(plain.refresh_token).toBeDefined();
    expect(plain.id_token).toBeUndefined();
    expect((await signIn(t, { clientId: 'offline-backend' })).refresh_token).toBeDefined();
  });
});

describe('rotation', () => {
  it('returns new tokens and a new refresh token on every use; the successor works in turn', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t);

    const res = await refresh(t, first.refresh_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const second = res.json();
    expect(second).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile offline_access' });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(claimsOf(second.access_token)).toMatchObject({
      sub: t.aliceSub,
      client_id: 'offline',
      gid: claimsOf(first.access_token).gid,
      aud: ['https://api.example.com', 'https://billing.example.com', t.ws.issuer],
    });
    expect(await rawItem(t, keys.refreshToken(hashToken(first.refresh_token)))).toHaveProperty('consumedAt');

    const third = await refresh(t, second.refresh_token);
    expect(third.status).toBe(200);
    expect(t.audit.filter((e) => e.fields.grantType === 'refresh_token')).toHaveLength(2);
  });

  it('a rotated token used again is invalid_grant and revokes the family: the successor and the access tokens die', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t);
    const second = (await refresh(t, first.refresh_token)).json();

    await expectInvalidGrant(refresh(t, first.refresh_token));

    expect(t.audit.find((e) => e.type === 'refresh.replayed')?.fields).toEqual({
      clientId: 'offline',
      grantId: claimsOf(first.access_token).gid,
    });
    await expectInvalidGrant(refresh(t, second.refresh_token));
    expect(await introspect(t, first.access_token)).toEqual({ active: false });
    expect(await introspect(t, second.access_token)).toEqual({ active: false });
    expect(await active(t, second.refresh_token)).toBe(false);
  });

  it('re-issues the ID token with the original auth_time and no nonce (OIDC Core §12.2)', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t, { scope: 'openid email offline_access' });
    t.clock.advance(120);

    const { id_token, access_token } = (await refresh(t, first.refresh_token)).json();

    const keySet = createLocalJWKSet({ keys: [(await t.ws.keys.active.publicJwk()) as never] });
    const original = (await jwtVerify(first.id_token, keySet, { currentDate: new Date(t.clock.now()) })).payload;
    const { payload } = await jwtVerify(id_token, keySet, {
      issuer: t.ws.issuer,
      audience: 'offline',
      currentDate: new Date(t.clock.now()),
    });
    expect(original.nonce).toBe(first.nonce);
    expect(payload.nonce).toBeUndefined();
    expect(payload).toMatchObject({ sub: t.aliceSub, auth_time: original.auth_time, email: 'alice@example.com' });
    expect(payload.iat).toBe(original.iat! + 120);
    expect(claimsOf(access_token).auth_time).toBe(original.auth_time);
  });
});

describe('what a refresh request may ask', () => {
  it('narrows the scope for the access token it gets; the grant keeps every scope for later refreshes', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t);

    const narrow = (await refresh(t, first.refresh_token, { scope: 'profile' })).json();
    expect(narrow.scope).toBe('profile');
    expect(claimsOf(narrow.access_token).scope).toBe('profile');
    expect(narrow.id_token).toBeUndefined();

    const full = (await refresh(t, narrow.refresh_token)).json();
    expect(full.scope).toBe('openid profile offline_access');
    expect(full.id_token).toBeDefined();
  });

  it('refuses a wider scope with invalid_scope and leaves the token usable', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t);

    const wider = await refresh(t, refresh_token, { scope: 'openid profile email' });
    expect(wider.status).toBe(400);
    expect(wider.json().error).toBe('invalid_scope');
    expect((await refresh(t, refresh_token)).status).toBe(200);
  });

  it('picks the audience among the grant’s with resource; one outside it is invalid_target and consumes nothing', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t);

    const outside = await refresh(t, refresh_token, { resource: 'https://evil.example.com' });
    expect(outside.status).toBe(400);
    expect(outside.json().error).toBe('invalid_target');
    const mixed = await refresh(t, refresh_token, {
      resource: ['https://api.example.com', 'https://evil.example.com'],
    });
    expect(mixed.json().error).toBe('invalid_target');

    const billing = (await refresh(t, refresh_token, { resource: 'https://billing.example.com' })).json();
    expect(claimsOf(billing.access_token).aud).toEqual(['https://billing.example.com', t.ws.issuer]);
    const next = (await refresh(t, billing.refresh_token)).json();
    expect(claimsOf(next.access_token).aud).toEqual([
      'https://api.example.com',
      'https://billing.example.com',
      t.ws.issuer,
    ]);
  });

  it('is refused when the grant was narrowed to one resource at the authorization endpoint and asks for another', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t, { resource: 'https://api.example.com' });

    const other = await refresh(t, refresh_token, { resource: 'https://billing.example.com' });
    expect(other.json().error).toBe('invalid_target');
  });
});

describe('who may refresh', () => {
  it('another client presenting the token gets invalid_grant, and the token stays unused and its family alive', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t);

    await expectInvalidGrant(refresh(t, refresh_token, {}, 'offline-backend'));

    expect(await rawItem(t, keys.refreshToken(hashToken(refresh_token)))).not.toHaveProperty('consumedAt');
    expect(t.audit.some((e) => e.type === 'refresh.replayed')).toBe(false);
    expect((await refresh(t, refresh_token)).status).toBe(200);
  });

  it('an unauthenticated request is invalid_client (401), a wrong secret too, and nothing is consumed', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t, { clientId: 'offline-backend' });
    const agent = new Agent(t.ws);

    const anonymous = await agent.post('oauth2/token', { form: { grant_type: 'refresh_token', refresh_token } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json().error).toBe('invalid_client');
    const asPublic = await refresh(t, refresh_token, { client_id: 'offline-backend' }, 'offline');
    expect(asPublic.status).toBe(401);
    const wrongSecret = await agent.post('oauth2/token', {
      form: { grant_type: 'refresh_token', refresh_token },
      headers: { Authorization: `Basic ${Buffer.from('offline-backend:wrong').toString('base64')}` },
    });
    expect(wrongSecret.status).toBe(401);

    expect((await refresh(t, refresh_token, {}, 'offline-backend')).status).toBe(200);
  });

  it('a disabled user’s token is invalid_grant, and usable again once the user is enabled', async () => {
    const t = await newTestWorkspace();
    const { refresh_token } = await signIn(t);

    await t.stores.directory.updateUser('alice', { disabled: true });
    await expectInvalidGrant(refresh(t, refresh_token));
    await t.stores.directory.updateUser('alice', { disabled: false });
    expect((await refresh(t, refresh_token)).status).toBe(200);
  });

  it.each([
    ['an unknown token', 'no-such-token', 'invalid_grant'],
    ['no token', '', 'invalid_request'],
  ])('%s is refused with %s', async (_name, token, error) => {
    const t = await newTestWorkspace();
    const res = await refresh(t, token);
    expect(res.status).toBe(400);
    expect(res.json().error).toBe(error);
  });
});

describe('lifetimes', () => {
  it('a token unused for its idle lifetime is dead; each rotation starts the idle lifetime anew', async () => {
    const t = await newTestWorkspace({ settings: { refreshTokenIdleTtl: 100 } });
    const first = await signIn(t);

    t.clock.advance(99);
    const second = (await refresh(t, first.refresh_token)).json();
    t.clock.advance(99);
    const third = (await refresh(t, second.refresh_token)).json();
    t.clock.advance(100);

    await expectInvalidGrant(refresh(t, third.refresh_token));
    expect(t.audit.some((e) => e.type === 'refresh.replayed')).toBe(false);
  });

  it('no successor outlives the grant’s absolute lifetime, however recently the family was used', async () => {
    const t = await newTestWorkspace({ settings: { refreshTokenIdleTtl: 100, refreshTokenAbsoluteTtl: 250 } });
    const first = await signIn(t);

    t.clock.advance(90);
    const second = (await refresh(t, first.refresh_token)).json();
    t.clock.advance(90);
    const third = (await refresh(t, second.refresh_token)).json();
    const grantEnd = (await rawItem(t, keys.grant(claimsOf(first.access_token).gid)))?.expiresAt as number;
    expect((await introspect(t, third.refresh_token)).exp).toBe(grantEnd);

    t.clock.advance(70);
    await expectInvalidGrant(refresh(t, third.refresh_token));
  });

  it('defaults to 14 days idle and 30 days in all', async () => {
    const t = await newTestWorkspace();
    const { refresh_token, access_token } = await signIn(t);
    const start = Math.floor(t.clock.now() / 1000);

    expect((await introspect(t, refresh_token)).exp).toBe(start + 14 * DAY);
    expect((await rawItem(t, keys.grant(claimsOf(access_token).gid)))?.expiresAt).toBe(start + 30 * DAY);
  });
});

describe('a replayed authorization code', () => {
  it('revokes what was issued from it: its refresh tokens stop working and its access tokens introspect inactive', async () => {
    const t = await newTestWorkspace();
    const first = await signIn(t);
    const rotated = (await refresh(t, first.refresh_token)).json();

    const replay = await new Agent(t.ws).post('oauth2/token', {
      form: tokenForm(first.code, first.verifier, { client_id: 'offline', redirect_uri: first.redirectUri }),
    });
    expect(replay.json().error).toBe('invalid_grant');

    await expectInvalidGrant(refresh(t, rotated.refresh_token));
    expect(await introspect(t, first.access_token)).toEqual({ active: false });
    expect(await introspect(t, rotated.access_token)).toEqual({ active: false });
    expect(t.audit.some((e) => e.type === 'refresh.replayed')).toBe(false);
  });
});

// The token endpoint: client authentication, code bindings, single use, and clean failure.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { hashClientSecret, hashToken } from '../../lambdas/core/crypto.js';
import type { Signer } from '../../lambdas/core/ports/signing.js';
import { Agent } from '../support/agent.js';
import { obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { introspect, refresh, signIn } from '../support/lifecycle.js';
import { confidentialClient, newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

async function codeFor(t: TestWorkspace, clientId = 'spa', redirectUri = 'https://spa.example.com/callback') {
  const { params, verifier } = validRequest(clientId, redirectUri);
  const loc = await obtainCode(new Agent(t.ws), params);
  return { code: loc.searchParams.get('code')!, verifier, nonce: params.nonce! };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('a successful exchange', () => {
  it('returns signed RFC 9068 access and OIDC ID tokens, never cached', async () => {
    const t = await newTestWorkspace();
    const { code, verifier, nonce } = await codeFor(t);
    const res = await new Agent(t.ws).post('oauth2/token', { form: tokenForm(code, verifier) });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email' });
    const keys = createLocalJWKSet({ keys: [(await t.ws.keys.active.publicJwk()) as never] });
    const at = await jwtVerify(body.access_token, keys, {
      issuer: t.ws.issuer,
      typ: 'at+jwt',
      currentDate: new Date(t.clock.now()),
    });
    expect(at.payload).toMatchObject({
      sub: t.aliceSub,
      aud: ['https://api.example.com', t.ws.issuer],
      client_id: 'spa',
      scope: 'openid profile email',
    });
    expect(at.payload.jti).toBeTruthy();
    expect(decodeProtectedHeader(body.access_token).kid).toBe((await t.ws.keys.active.publicJwk()).kid);
    const id = await jwtVerify(body.id_token, keys, {
      issuer: t.ws.issuer,
      audience: 'spa',
      currentDate: new Date(t.clock.now()),
    });
    expect(id.payload).toMatchObject({
      sub: t.aliceSub,
      nonce,
      email: 'alice@example.com',
    });
    // Optional in the code flow (OIDC Core §3.1.3.6): left out, so the two tokens are signed concurrently.
    expect(id.payload.at_hash).toBeUndefined();
    expect(typeof id.payload.auth_time).toBe('number');
    expect(t.audit.some((e) => e.type === 'token.issued')).toBe(true);
  });

  it('sets aud from the resource indicator, beside the issuer for openid (UserInfo)', async () => {
    const t = await newTestWorkspace();
    const { params, verifier } = validRequest();
    const loc = await obtainCode(new Agent(t.ws), { ...params, resource: 'https://api.example.com' });
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: tokenForm(loc.searchParams.get('code')!, verifier),
    });
    const [, payload] = res.json().access_token.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).aud).toEqual([
      'https://api.example.com',
      t.ws.issuer,
    ]);
  });
});

describe('code binding and single use', () => {
  it('a reused code fails with invalid_grant and revokes the grant', async () => {
    const t = await newTestWorkspace();
    const { code, verifier } = await codeFor(t);
    const agent = new Agent(t.ws);
    expect((await agent.post('oauth2/token', { form: tokenForm(code, verifier) })).status).toBe(200);
    const again = await agent.post('oauth2/token', { form: tokenForm(code, verifier) });
    expect(again.status).toBe(400);
    expect(again.json().error).toBe('invalid_grant');
    expect(t.audit.some((e) => e.type === 'code.replayed')).toBe(true);
    const stored = await t.stores.grants.getCode(hashToken(code));
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const grant = await t.doc.send(new GetCommand({ TableName: t.tableName, Key: { pk: `GRANT#${stored!.grantId}` } }));
    expect(grant.Item?.revokedAt).toBeDefined();
  });

  it.each([
    ['wrong verifier', (f: Record<string, string>) => ({ ...f, code_verifier: 'x'.repeat(43) })],
    ['missing verifier', (f: Record<string, string>) => ({ ...f, code_verifier: '' })],
    ['short verifier', (f: Record<string, string>) => ({ ...f, code_verifier: 'abc' })],
    ['other redirect_uri', (f: Record<string, string>) => ({ ...f, redirect_uri: 'https://spa.example.com/other' })],
    ['missing redirect_uri', (f: Record<string, string>) => ({ ...f, redirect_uri: '' })],
    ['unknown code', (f: Record<string, string>) => ({ ...f, code: 'not-a-code' })],
  ])('%s → invalid_grant, and the code still works afterwards', async (_name, mutate) => {
    const t = await newTestWorkspace();
    const { code, verifier } = await codeFor(t);
    const agent = new Agent(t.ws);
    const bad = await agent.post('oauth2/token', { form: mutate(tokenForm(code, verifier)) });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toBe('invalid_grant');
    expect((await agent.post('oauth2/token', { form: tokenForm(code, verifier) })).status).toBe(200);
  });

  it.each([
    ['by another client', { client_id: 'spa' }],
    ['with a wrong verifier', { code_verifier: 'x'.repeat(43) }],
    ['with another redirect_uri', { redirect_uri: 'https://offline.example.com/other' }],
  ])(
    'a used code presented %s is invalid_grant and revokes nothing: the grant and its refresh token stand (I-9)',
    async (_name, change) => {
      const t = await newTestWorkspace();
      const tokens = await signIn(t);
      const replay = await new Agent(t.ws).post('oauth2/token', {
        form: {
          grant_type: 'authorization_code',
          code: tokens.code,
          code_verifier: tokens.verifier,
          redirect_uri: tokens.redirectUri,
          client_id: 'offline',
          ...change,
        },
      });
      expect(replay.status).toBe(400);
      expect(replay.json().error).toBe('invalid_grant');
      expect(t.audit.some((e) => e.type === 'code.replayed')).toBe(false);
      expect((await introspect(t, tokens.access_token)).active).toBe(true);
      expect((await refresh(t, tokens.refresh_token)).status).toBe(200);
    },
  );

  it('a used code presented again by its client, with its verifier, revokes the grant and its refresh token', async () => {
    const t = await newTestWorkspace();
    const tokens = await signIn(t);
    const form = {
      grant_type: 'authorization_code',
      code: tokens.code,
      code_verifier: tokens.verifier,
      redirect_uri: tokens.redirectUri,
      client_id: 'offline',
    };
    expect((await new Agent(t.ws).post('oauth2/token', { form })).json().error).toBe('invalid_grant');
    expect(t.audit.some((e) => e.type === 'code.replayed')).toBe(true);
    expect((await refresh(t, tokens.refresh_token)).json().error).toBe('invalid_grant');
  });

  it('a code is bound to the client it was issued to', async () => {
    const t = await newTestWorkspace();
    const { code, verifier } = await codeFor(t, 'first', 'https://first.example.com/cb');
    const res = await new Agent(t.ws).post('oauth2/token', { form: tokenForm(code, verifier, { client_id: 'spa' }) });
    expect(res.json().error).toBe('invalid_grant');
  });

  it('an expired code is refused (clock moved past its 60 s)', async () => {
    const t = await newTestWorkspace();
    const { code, verifier } = await codeFor(t);
    t.clock.advance(61);
    const res = await new Agent(t.ws).post('oauth2/token', { form: tokenForm(code, verifier) });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
  });

  it('a signing failure yields server_error and consumes nothing', async () => {
    const t = await newTestWorkspace();
    const { code, verifier } = await codeFor(t);
    const real = t.ws.keys.active;
    const failing: Signer = {
      alg: real.alg,
      publicJwk: () => real.publicJwk(),
      sign: async () => {
        throw new Error('KMS unavailable');
      },
    };
    const broken = new Agent({ ...t.ws, keys: { active: failing, all: [failing] } });
    const res = await broken.post('oauth2/token', { form: tokenForm(code, verifier) });
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({
      error: 'server_error',
      error_description: 'The server could not complete the request.',
    });
    expect((await t.stores.grants.getCode(hashToken(code)))?.consumed).toBe(false);
    expect((await new Agent(t.ws).post('oauth2/token', { form: tokenForm(code, verifier) })).status).toBe(200);
  });
});

describe('client authentication', () => {
  const confidential = async (t: TestWorkspace) => {
    const { code, verifier } = await codeFor(t, 'backend', 'https://backend.example.com/cb');
    return {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: 'https://backend.example.com/cb',
    };
  };

  it('client_secret_basic works; a wrong secret is a 401 invalid_client with a challenge', async () => {
    const t = await newTestWorkspace();
    const form = await confidential(t);
    const agent = new Agent(t.ws);
    const wrong = await agent.post('oauth2/token', { form, headers: { Authorization: basic('backend', 'wrong') } });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error).toBe('invalid_client');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    const ok = await agent.post('oauth2/token', { form, headers: { Authorization: basic('backend', TEST_SECRET) } });
    expect(ok.status).toBe(200);
  });

  it('client_secret_post works for a client registered for it, and not for a basic client', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const form = await confidential(t);
    const mismatch = await agent.post('oauth2/token', {
      form: { ...form, client_id: 'backend', client_secret: TEST_SECRET },
    });
    expect(mismatch.status).toBe(401);
    const post = await codeFor(t, 'poster', 'https://backend.example.com/cb');
    const ok = await agent.post('oauth2/token', {
      form: {
        grant_type: 'authorization_code',
        code: post.code,
        code_verifier: post.verifier,
        redirect_uri: 'https://backend.example.com/cb',
        client_id: 'poster',
        client_secret: TEST_SECRET,
      },
    });
    expect(ok.status).toBe(200);
  });

  it('a confidential client cannot pass as public, and an unknown client is invalid_client', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const form = await confidential(t);
    expect((await agent.post('oauth2/token', { form: { ...form, client_id: 'backend' } })).status).toBe(401);
    const unknown = await agent.post('oauth2/token', { form: { ...form, client_id: 'ghost' } });
    expect(unknown.status).toBe(401);
    expect(unknown.json().error).toBe('invalid_client');
  });

  it('two authentication methods at once are refused', async () => {
    const t = await newTestWorkspace();
    const form = await confidential(t);
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { ...form, client_secret: TEST_SECRET },
      headers: { Authorization: basic('backend', TEST_SECRET) },
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });
});

describe('malformed requests', () => {
  it.each([
    [
      'a JSON body',
      { body: '{"grant_type":"authorization_code"}', headers: { 'Content-Type': 'application/json' } },
      400,
      'invalid_request',
    ],
    ['no grant_type', { form: { client_id: 'spa' } }, 400, 'invalid_request'],
    ['an unknown grant_type', { form: { grant_type: 'password', client_id: 'spa' } }, 400, 'unsupported_grant_type'],
    [
      'a client_id longer than any registration',
      { form: { grant_type: 'authorization_code', client_id: 'c'.repeat(3000) } },
      401,
      'invalid_client',
    ],
    [
      'a client_id in the Basic header longer than any registration',
      { form: { grant_type: 'authorization_code' }, headers: { Authorization: basic('€'.repeat(1000), 'x') } },
      401,
      'invalid_client',
    ],
    [
      'a duplicated parameter',
      {
        body: 'grant_type=authorization_code&grant_type=authorization_code&client_id=spa',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      },
      400,
      'invalid_request',
    ],
    [
      'an oversized body',
      {
        body: `grant_type=authorization_code&code=${'a'.repeat(70_000)}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      },
      413,
      'invalid_request',
    ],
    [
      'a garbled Basic header',
      { form: { grant_type: 'authorization_code' }, headers: { Authorization: 'Basic !!!' } },
      401,
      'invalid_client',
    ],
  ])('%s → %i %s, no-store', async (_name, opts, status, error) => {
    const t = await newTestWorkspace();
    const res = await new Agent(t.ws).post('oauth2/token', opts as never);
    expect(res.status).toBe(status);
    expect(res.json().error).toBe(error);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a grant the client is not registered for → unauthorized_client', async () => {
    const t = await newTestWorkspace();
    await t.stores.directory.putClient({
      ...confidentialClient,
      clientId: 'machine',
      grantTypes: ['client_credentials'],
      redirectUris: [],
      secretHash: hashClientSecret(TEST_SECRET),
    });
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'authorization_code', code: 'x', code_verifier: 'v'.repeat(43) },
      headers: { Authorization: basic('machine', TEST_SECRET) },
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('unauthorized_client');
  });

  it('GET is not a token request', async () => {
    const t = await newTestWorkspace();
    await expect(new Agent(t.ws).get('oauth2/token')).rejects.toThrow(/no handler/);
  });
});

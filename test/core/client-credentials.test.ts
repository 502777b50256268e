// grant_type=client_credentials: a token for the client itself, its scopes and audiences, and nothing written to the table.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { hashClientSecret } from '../../lambdas/core/crypto.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import { clientRegistrationProblems } from '../../lambdas/core/registration/registration.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent } from '../support/agent.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

const service: ClientRegistration = {
  clientId: 'svc',
  clientName: 'Order sync',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: [],
  grantTypes: ['client_credentials'],
  scopes: ['openid', 'orders:read', 'orders:write', 'offline_access'],
  audience: ['https://api.example.com', 'https://billing.example.com'],
};

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function workspace(...clients: ClientRegistration[]): Promise<TestWorkspace> {
  const t = await newTestWorkspace();
  for (const client of [service, ...clients]) {
    expect(clientRegistrationProblems(client)).toEqual([]);
    await t.stores.directory.putClient({ ...client, secretHash: hashClientSecret(TEST_SECRET) });
  }
  return t;
}

function tokenRequest(ws: Workspace, form: Record<string, string | string[]> = {}, clientId = 'svc') {
  return new Agent(ws).post('oauth2/token', {
    form: { grant_type: 'client_credentials', ...form },
    headers: { Authorization: basic(clientId, TEST_SECRET) },
  });
}

async function verified(t: TestWorkspace, accessToken: string) {
  const keys = createLocalJWKSet({ keys: [(await t.ws.keys.active.publicJwk()) as never] });
  return jwtVerify(accessToken, keys, { issuer: t.ws.issuer, typ: 'at+jwt', currentDate: new Date(t.clock.now()) });
}

async function tableItems(t: TestWorkspace) {
  return (await t.doc.send(new ScanCommand({ TableName: t.tableName, ConsistentRead: true }))).Items ?? [];
}

describe('a token for the client itself', () => {
  it('without scope: every registered scope but openid and offline_access, every registered audience, sub = client id, no refresh or ID token', async () => {
    const t = await workspace();
    const res = await tokenRequest(t.ws);
    expect(res.status, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'orders:read orders:write',
    });
    const { payload } = await verified(t, body.access_token);
    expect(payload).toMatchObject({
      iss: t.ws.issuer,
      sub: 'svc',
      client_id: 'svc',
      aud: ['https://api.example.com', 'https://billing.example.com'],
      scope: 'orders:read orders:write',
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.jti).toBeTruthy();
    expect(payload).not.toHaveProperty('auth_time');
    expect(t.audit.filter((e) => e.type === 'token.issued')).toEqual([
      { type: 'token.issued', fields: { clientId: 'svc', sub: 'svc', grantType: 'client_credentials' } },
    ]);
  });

  it('with scope and resource: exactly the scopes asked for, aud = the resources', async () => {
    const t = await workspace();
    const res = await tokenRequest(t.ws, { scope: 'orders:read', resource: 'https://billing.example.com' });
    expect(res.status, res.body).toBe(200);
    expect(res.json().scope).toBe('orders:read');
    const { payload } = await verified(t, res.json().access_token);
    expect(payload).toMatchObject({ aud: 'https://billing.example.com', scope: 'orders:read' });
  });

  it('several resources become several audiences', async () => {
    const t = await workspace();
    const resource = ['https://billing.example.com', 'https://api.example.com', 'https://billing.example.com'];
    const res = await tokenRequest(t.ws, { resource });
    const { payload } = await verified(t, res.json().access_token);
    expect(payload.aud).toEqual(['https://billing.example.com', 'https://api.example.com']);
  });

  it('a client without a registered audience gets the issuer as aud', async () => {
    const { audience: _, ...noAudience } = { ...service, clientId: 'svc-plain' };
    const t = await workspace(noAudience);
    const res = await tokenRequest(t.ws, {}, 'svc-plain');
    expect((await verified(t, res.json().access_token)).payload.aud).toBe(t.ws.issuer);
  });

  it('client_secret_post authenticates as well', async () => {
    const t = await workspace({ ...service, clientId: 'svc-post', tokenEndpointAuthMethod: 'client_secret_post' });
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'client_credentials', client_id: 'svc-post', client_secret: TEST_SECRET },
    });
    expect(res.status, res.body).toBe(200);
  });
});

describe('nothing is written to DynamoDB', () => {
  it('the table holds the same items before and after, and once the client is cached no DynamoDB call is made', async () => {
    const t = await workspace();
    // The deployed client store caches client records per container; the test workspace's does not.
    const cached = dynamoStores({ client: t.db, tableName: t.tableName, clientCacheSeconds: 60 });
    const ws = { ...t.ws, clients: cached.clients };
    const before = await tableItems(t);
    // Every call of the client the stores share (the table is read back by another client).
    const calls: string[] = [];
    t.db.client.use((call, next) => {
      calls.push(call.operation);
      return next(call);
    });

    expect((await tokenRequest(ws)).status).toBe(200);
    expect(calls).toEqual(['GetItem']);
    calls.length = 0;
    expect((await tokenRequest(ws, { scope: 'orders:write' })).status).toBe(200);
    expect((await tokenRequest(ws, { scope: 'openid' })).status).toBe(400);
    expect(calls).toEqual([]);

    expect(await tableItems(t)).toEqual(before);
  });
});

describe('refused requests', () => {
  it('a public client not registered for the grant: unauthorized_client', async () => {
    const t = await workspace();
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'client_credentials', client_id: 'spa' },
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('unauthorized_client');
  });

  it('a public client stored with the grant behind the registration rules: unauthorized_client', async () => {
    const t = await workspace();
    const publicService: ClientRegistration = { ...service, clientId: 'svc-public', tokenEndpointAuthMethod: 'none' };
    expect(clientRegistrationProblems(publicService).map((p) => p.problem)).toContain(
      'client_credentials needs an authenticated client, not tokenEndpointAuthMethod "none"',
    );
    await t.stores.directory.putClient(publicService);
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'client_credentials', client_id: 'svc-public' },
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error: 'unauthorized_client',
      error_description: 'A public client may not use the client_credentials grant.',
    });
  });

  it('a confidential client not registered for the grant: unauthorized_client', async () => {
    const t = await workspace();
    const res = await tokenRequest(t.ws, {}, 'backend');
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('unauthorized_client');
  });

  it('a wrong secret: invalid_client (401)', async () => {
    const t = await workspace();
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'client_credentials' },
      headers: { Authorization: basic('svc', 'not-the-secret') },
    });
    expect(res.status).toBe(401);
    expect(res.json().error).toBe('invalid_client');
  });

  it.each([
    ['openid', 'openid'],
    ['offline_access', 'orders:read offline_access'],
    ['a scope the client is not registered for', 'orders:read orders:delete'],
  ])('%s: invalid_scope', async (_name, scope) => {
    const t = await workspace();
    const res = await tokenRequest(t.ws, { scope });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_scope');
  });

  it.each([
    ['a resource the client may not use', 'https://other.example.com'],
    ['a relative resource', '/orders'],
    ['a resource with a fragment', 'https://api.example.com#x'],
  ])('%s: invalid_target', async (_name, resource) => {
    const t = await workspace();
    const res = await tokenRequest(t.ws, { resource: ['https://api.example.com', resource] });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_target');
  });

  it('scope sent twice: invalid_request', async () => {
    const t = await workspace();
    const res = await tokenRequest(t.ws, { scope: ['orders:read', 'orders:write'] });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });
});

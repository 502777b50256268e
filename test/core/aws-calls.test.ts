// AWS calls per endpoint, at the floor: DynamoDB operations counted on the client the stores use, against DynamoDB Local,
// signatures at the signer, and the sequential round trips they take (calls made in parallel share one).
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { AwsJsonClient, KMS } from '../../lambdas/adapters/aws/json-client.js';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';
import { hashClientSecret, newId } from '../../lambdas/core/crypto.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent, hiddenField } from '../support/agent.js';
import { CallRecorder } from '../support/aws-calls.js';
import { authorizeUrl, obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { startKmsStandIn, type KmsStandIn } from '../support/kms-stand-in.js';
import { newTestWorkspace, TEST_PASSWORD, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

let t: TestWorkspace;
let ws: Workspace;
const rec = new CallRecorder();

beforeAll(async () => {
  t = await newTestWorkspace();
  rec.watch(t.db);
  const signer = rec.gatedSigner(t.ws.keys.active);
  // The client records come from the per-container cache of a deployed function (the test workspace's reads through).
  const { clients } = dynamoStores({ client: t.db, tableName: t.tableName });
  ws = { ...t.ws, clients, keys: { active: signer, all: [signer] } };
});

/** alice signs in at spa (login and consent) in `agent`'s browser; the code is redeemed. */
async function firstSignIn(agent: Agent) {
  const { params, verifier } = validRequest();
  const code = (await obtainCode(agent, params)).searchParams.get('code')!;
  expect((await agent.post('oauth2/token', { form: tokenForm(code, verifier) })).status).toBe(200);
}

describe('SSO: a signed-in browser at a client it consented to', () => {
  it('authorize: the session, its user and the consent in one read round trip (one BatchGetItem), then the code put', async () => {
    // GIVEN
    const agent = new Agent(ws);
    await firstSignIn(agent);
    const { params } = validRequest();

    // WHEN
    const res = await rec.during(() => agent.get(authorizeUrl(params)));

    // THEN
    expect(res.location?.searchParams.get('code')).toBeTruthy();
    expect(rec.counts()).toEqual({ BatchGetItem: 1, PutItem: 1 });
    expect(rec.readRoundTrips()).toBe(1);
    expect(rec.roundTrips()).toBe(2);
    const [read] = rec.calls;
    expect(read!.consistent).toBe(true);
    expect(read!.keys.map((k) => k.split('#')[0]).sort()).toEqual(['CONSENT', 'SESSION', 'USER']);
  });

  it('the whole flow, authorize and code redemption: 5 DynamoDB operations, 2 signatures', async () => {
    // GIVEN
    const agent = new Agent(ws);
    await firstSignIn(agent);
    const { params, verifier } = validRequest();

    // WHEN
    const res = await rec.during(
      async () => {
        const code = (await agent.get(authorizeUrl(params))).location!.searchParams.get('code')!;
        return agent.post('oauth2/token', { form: tokenForm(code, verifier) });
      },
      { signaturesTogether: 2 },
    );

    // THEN
    expect(res.status).toBe(200);
    expect(rec.dynamoOps()).toBe(5);
    expect(rec.counts()).toEqual({ BatchGetItem: 1, PutItem: 1, GetItem: 2, TransactWriteItems: 1, Sign: 2 });
  });

  it('a session id whose user part names another user answers for nobody: it is another session id', async () => {
    // GIVEN: alice's session cookie, its user part swapped for bob's sub (bob consented to spa as well)
    const agent = new Agent(ws);
    await firstSignIn(agent);
    const bob = { sub: newId(), username: 'bob', passwordHash: 'unused', claims: {} };
    await t.stores.directory.createUser(bob);
    await t.doc.send(
      new PutCommand({
        TableName: t.tableName,
        Item: { pk: `CONSENT#${bob.sub}#spa`, sub: bob.sub, clientId: 'spa', scopes: ['openid', 'profile', 'email'] },
      }),
    );
    const sid = agent.cookies.get('authz_session')!;
    expect(Buffer.from(sid.slice(43), 'base64url').toString()).toBe(t.aliceSub);
    agent.cookies.set('authz_session', `${sid.slice(0, 43)}${Buffer.from(bob.sub).toString('base64url')}`);
    const { params } = validRequest();

    // WHEN
    const res = await agent.get(authorizeUrl({ ...params, prompt: 'none' }));

    // THEN
    expect(res.location?.searchParams.get('error')).toBe('login_required');
    agent.cookies.set('authz_session', sid);
    expect(
      (await agent.get(authorizeUrl({ ...validRequest().params, prompt: 'none' }))).location?.searchParams.get('code'),
    ).toBeTruthy();
  });

  it('a first-party client: the session and its user only, no consent read', async () => {
    // GIVEN
    const agent = new Agent(ws);
    const first = validRequest('first', 'https://first.example.com/cb');
    await obtainCode(agent, first.params);
    const { params } = validRequest('first', 'https://first.example.com/cb');

    // WHEN
    const res = await rec.during(() => agent.get(authorizeUrl(params)));

    // THEN
    expect(res.location?.searchParams.get('code')).toBeTruthy();
    expect(rec.counts()).toEqual({ BatchGetItem: 1, PutItem: 1 });
    expect(rec.calls[0]!.keys.map((k) => k.split('#')[0]).sort()).toEqual(['SESSION', 'USER']);
  });
});

describe('consent submit (Allow)', () => {
  it('one transactional write, after the transaction and then the user, session and consent read together', async () => {
    // GIVEN: signed in, at the consent page (asked for again: alice consented to spa before)
    const agent = new Agent(ws);
    const { params } = validRequest();
    let res = await agent.get(authorizeUrl({ ...params, prompt: 'consent' }));
    res = await agent.get(res.location!.toString());
    res = await agent.post('consent', {
      form: {
        txn: hiddenField(res.body, 'txn'),
        csrf: hiddenField(res.body, 'csrf'),
        username: 'alice',
        password: TEST_PASSWORD,
      },
    });
    const page = await agent.get(res.location!.toString());
    expect(page.body).toContain('name="decision"');

    // WHEN
    const allowed = await rec.during(() =>
      agent.post('consent', {
        form: { txn: hiddenField(page.body, 'txn'), csrf: hiddenField(page.body, 'csrf'), decision: 'allow' },
      }),
    );

    // THEN
    expect(allowed.location?.searchParams.get('code')).toBeTruthy();
    expect(rec.counts()).toEqual({ GetItem: 1, BatchGetItem: 1, TransactWriteItems: 1 });
    expect(rec.readRoundTrips()).toBe(2);
    expect(rec.calls[0]!.keys[0]).toMatch(/^TXN#/);
    expect(rec.calls[1]!.keys.map((k) => k.split('#')[0]).sort()).toEqual(['CONSENT', 'SESSION', 'USER']);
  });
});

describe('token (authorization_code)', () => {
  it('one strongly consistent read (the code) and one transaction; the user read while the access token is signed; both tokens signed together', async () => {
    // GIVEN
    const { params, verifier } = validRequest();
    const code = (await obtainCode(new Agent(ws), params)).searchParams.get('code')!;

    // WHEN
    const res = await rec.during(() => new Agent(ws).post('oauth2/token', { form: tokenForm(code, verifier) }), {
      signaturesTogether: 2,
    });

    // THEN
    expect(res.status, res.body).toBe(200);
    expect(rec.counts()).toEqual({ GetItem: 2, Sign: 2, TransactWriteItems: 1 });
    const [codeRead, userRead] = rec.calls.filter((c) => c.op === 'GetItem');
    expect(codeRead!.keys[0]).toMatch(/^CODE#/);
    expect(codeRead!.consistent).toBe(true);
    expect(userRead!.keys[0]).toMatch(/^USER#/);
    expect(userRead!.consistent).toBe(false);
    // The access token's signature started with the user read, not after it; the two signatures were in flight together.
    const [accessSign] = rec.calls.filter((c) => c.op === 'Sign');
    expect(accessSign!.depth).toBe(userRead!.depth);
    expect(rec.maxConcurrentSigns).toBe(2);
    // code read → user read ‖ access token signature → ID token signature → transaction
    expect(rec.roundTrips()).toBe(4);
    expect(rec.calls.at(-1)!.op).toBe('TransactWriteItems');
  });

  it('refresh: the token read, the user read beside the access token signature, both signatures together, one transaction', async () => {
    // GIVEN
    const { params, verifier } = validRequest('offline', 'https://offline.example.com/cb', 'openid offline_access');
    const code = (await obtainCode(new Agent(ws), params)).searchParams.get('code')!;
    const issued = await new Agent(ws).post('oauth2/token', {
      form: { ...tokenForm(code, verifier), redirect_uri: 'https://offline.example.com/cb', client_id: 'offline' },
    });
    expect(issued.status, issued.body).toBe(200);

    // WHEN
    const res = await rec.during(
      () =>
        new Agent(ws).post('oauth2/token', {
          form: { grant_type: 'refresh_token', refresh_token: issued.json().refresh_token, client_id: 'offline' },
        }),
      { signaturesTogether: 2 },
    );

    // THEN
    expect(res.status, res.body).toBe(200);
    expect(rec.counts()).toEqual({ GetItem: 2, Sign: 2, TransactWriteItems: 1 });
    expect(rec.maxConcurrentSigns).toBe(2);
    expect(rec.roundTrips()).toBe(4);
  });
});

describe('client_credentials', () => {
  it('no DynamoDB call once the client is cached; one signature', async () => {
    // GIVEN: a client, cached after its first request
    await t.stores.directory.putClient({
      clientId: 'svc',
      tokenEndpointAuthMethod: 'client_secret_basic',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['orders:read'],
      secretHash: hashClientSecret(TEST_SECRET),
    });
    const request = () =>
      new Agent(ws).post('oauth2/token', {
        form: { grant_type: 'client_credentials' },
        headers: { Authorization: `Basic ${Buffer.from(`svc:${encodeURIComponent(TEST_SECRET)}`).toString('base64')}` },
      });
    expect((await request()).status).toBe(200);

    // WHEN
    const res = await rec.during(request);

    // THEN
    expect(res.status).toBe(200);
    expect(rec.counts()).toEqual({ Sign: 1 });
  });
});

describe('JWKS and discovery', () => {
  let kms: KmsStandIn;
  afterAll(() => kms?.stop());

  it('no AWS call after the first request: the KMS public key is read once per container, discovery reads nothing', async () => {
    // GIVEN: KMS keys, as deployed
    kms = await startKmsStandIn({ 'key-1': 'ES256', 'key-2': 'ES256' });
    const client = new AwsJsonClient({
      service: KMS,
      endpoint: kms.endpoint,
      region: 'local',
      credentials: LOCAL_CREDENTIALS,
    });
    const [active, old] = ['key-1', 'key-2'].map((keyId) => new KmsSigner({ client, keyId, alg: 'ES256' }));
    const deployed: Workspace = { ...ws, keys: { active: active!, all: [active!, old!] } };
    const agent = new Agent(deployed);

    // WHEN
    const results = await rec.during(async () => [
      await agent.get('.well-known/jwks.json'),
      await agent.get('.well-known/jwks.json'),
      await agent.get('.well-known/openid-configuration'),
      await agent.get('.well-known/oauth-authorization-server'),
    ]);

    // THEN: one GetPublicKey per key, for the first JWKS request only; no DynamoDB call at all
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(results[0]!.json().keys).toHaveLength(2);
    expect(Object.fromEntries(kms.calls)).toEqual({ GetPublicKey: 2 });
    expect(rec.calls).toEqual([]);
  });
});

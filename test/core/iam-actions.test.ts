// The IAM actions each function's endpoints really use are within what `handlerAccess` grants it. DynamoDB Local and
// the KMS stand-in enforce no IAM, so a missing grant would otherwise show only in AWS: here every handler runs on
// AWS clients of its own (as each Lambda does), the requests they send are read as they go on the wire, and each is
// turned into the IAM actions AWS would check for it.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HandlerAccess, handlerAccess, type KeyAccess } from '../../lib/private/handler-access.js';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { AwsJsonClient, KMS } from '../../lambdas/adapters/aws/json-client.js';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { hashClientSecret } from '../../lambdas/core/crypto.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { handler as authorize } from '../../lambdas/handlers/authorize.js';
import { handler as consent } from '../../lambdas/handlers/consent.js';
import { handler as discovery } from '../../lambdas/handlers/discovery.js';
import { handler as jwks } from '../../lambdas/handlers/jwks.js';
import { handler as token } from '../../lambdas/handlers/token.js';
import { handler as userinfo } from '../../lambdas/handlers/userinfo.js';
import { type ApiHandler, relativePath } from '../../lambdas/handlers/apigw.js';
import { type HandlerName, handlerManifest, handlerNames } from '../../lambdas/handlers/manifest.js';
import { Agent, type AgentResponse, type RoutedHandler } from '../support/agent.js';
import { agentFetch, corpSource, federatedSignIn, federationClient } from '../support/federation.js';
import { JWT_BEARER, newClientKey, signAssertion, type ClientKey } from '../support/client-keys.js';
import {
  authorizeUrl,
  basicAuth,
  follow,
  obtainCode,
  submitDecision,
  submitLogin,
  tokenForm,
  validRequest,
} from '../support/flow.js';
import { localDynamoDb } from '../support/dynamo.js';
import { startKmsStandIn, type KmsStandIn } from '../support/kms-stand-in.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

/** What one handler's function asked of AWS, as IAM sees it. */
interface Used {
  /** `dynamodb:GetItem`, … */
  readonly actions: Set<string>;
  /** Tables and indexes the DynamoDB requests named. */
  readonly resources: Set<string>;
  /** `verify` for `kms:GetPublicKey`, `sign` for `kms:Sign`. */
  readonly keys: Set<KeyAccess>;
  /** The keys `kms:Sign` was asked to sign with. */
  readonly signedWith: Set<string>;
}

const newUsed = (): Used => ({ actions: new Set(), resources: new Set(), keys: new Set(), signedWith: new Set() });

/** Per item of a transaction: the action AWS authorizes it by (a transaction has no action of its own). */
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

interface DynamoRequestBody {
  TableName?: string;
  IndexName?: string;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Record<string, { TableName?: string; IndexName?: string }>[];
}

/** The IAM actions, and the tables or indexes they act on, of DynamoDB operation `op` with request `body`. */
function dynamoActionsOf(op: string, body: DynamoRequestBody): { actions: string[]; resources: string[] } {
  const resources = [
    body.TableName && (body.IndexName ? `${body.TableName}/index/${body.IndexName}` : body.TableName),
    ...Object.keys(body.RequestItems ?? {}),
  ];
  if (op !== 'TransactWriteItems' && op !== 'TransactGetItems')
    return { actions: [`dynamodb:${op}`], resources: resources.filter((r): r is string => !!r) };
  const actions: string[] = [];
  for (const item of body.TransactItems ?? []) {
    for (const [kind, target] of Object.entries(item)) {
      actions.push(TRANSACT_ITEM_ACTIONS[kind] ?? `dynamodb:${op}:${kind}`);
      resources.push(target.IndexName ? `${target.TableName}/index/${target.IndexName}` : target.TableName);
    }
  }
  return { actions, resources: resources.filter((r): r is string => !!r) };
}

const KEY_LEVEL: Readonly<Record<KeyAccess, number>> = { none: 0, verify: 1, sign: 2 };

const KEY_IDS = ['key-old', 'key-active'] as const;
const ACTIVE_KEY = 'key-active';

let t: TestWorkspace;
let upstream: TestWorkspace;
let kms: KmsStandIn;
let agent: () => Agent;
/** What each handler used. */
const used = Object.fromEntries(handlerNames.map((n) => [n, newUsed()])) as Record<HandlerName, Used>;
/** The `METHOD /path` routes requested, and any that answered a server error. */
const routesServed = new Set<string>();
const serverErrors: string[] = [];
let pkjwt: ClientKey;

const sourceHandlers: readonly ApiHandler[] = [authorize, consent, discovery, jwks, token, userinfo];

/** The handler's name, by the routes the manifest gives it. */
function nameOf(h: ApiHandler): HandlerName {
  const name = handlerNames.find((n) => [...handlerManifest[n]].sort().join() === [...h.routes].sort().join());
  if (!name) throw new Error(`no manifest entry serves ${h.routes.join(', ')}`);
  return name;
}

/**
 * The workspace as handler `name`'s function sees it: the shared table and keys, reached through AWS clients of its
 * own whose every request (its JSON input, as it goes on the wire) is recorded as that handler's.
 */
function workspaceOf(name: HandlerName): Workspace {
  const into = used[name];
  const dynamo = localDynamoDb();
  dynamo.client.use((call, next) => {
    const { actions, resources } = dynamoActionsOf(call.operation, call.input as DynamoRequestBody);
    actions.forEach((a) => into.actions.add(a));
    resources.forEach((r) => into.resources.add(r));
    return next(call);
  });
  const keyClient = new AwsJsonClient({
    service: KMS,
    endpoint: kms.endpoint,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
  });
  keyClient.use((call, next) => {
    const keyId = String(call.input.KeyId);
    if (call.operation === 'Sign') {
      into.keys.add('sign');
      into.signedWith.add(keyId);
    } else if (call.operation === 'GetPublicKey') into.keys.add('verify');
    else into.actions.add(`kms:${call.operation}`);
    return next(call);
  });
  // The directory is the admin tooling's: a function gets the runtime ports only. No client cache, so that every
  // handler reads the client records it needs rather than finding them cached.
  const { directory: _adminOnly, ...stores } = dynamoStores({
    client: dynamo,
    tableName: t.tableName,
    clientCacheSeconds: 0,
  });
  const signers = KEY_IDS.map((keyId) => new KmsSigner({ client: keyClient, keyId, alg: 'ES256' }));
  return {
    ...t.ws,
    ...stores,
    // Low enough that a few failed logins reach the throttle.
    settings: { ...t.ws.settings, maxFailuresPerUsername: 2 },
    keys: { active: signers[KEY_IDS.indexOf(ACTIVE_KEY)]!, all: signers },
  };
}

beforeAll(async () => {
  [upstream, kms, pkjwt] = await Promise.all([
    newTestWorkspace({ workspaceId: 'upstream', keyFile: 'upstream.pem' }),
    startKmsStandIn({ 'key-old': 'ES256', 'key-active': 'ES256' }),
    newClientKey('ES256'),
  ]);
  // Another workspace is the identity source: its functions are another deployment's, so go unrecorded.
  await upstream.stores.directory.putClient({
    ...federationClient('https://auth.example.com/acme/main'),
    secretHash: hashClientSecret(TEST_SECRET),
  });
  t = await newTestWorkspace({
    alg: 'ES256',
    federation: {
      sources: [corpSource(upstream.ws.issuer)],
      upstream: new UpstreamOidc({ clientSecret: async () => TEST_SECRET, fetch: agentFetch(new Agent(upstream.ws)) }),
    },
  });
  const machine = (clientId: string, more: Partial<ClientRegistration>): ClientRegistration => ({
    clientId,
    tokenEndpointAuthMethod: 'client_secret_basic',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['orders:read'],
    audience: ['https://api.example.com'],
    ...more,
  });
  await t.stores.directory.putClient({ ...machine('svc', {}), secretHash: hashClientSecret(TEST_SECRET) });
  await t.stores.directory.putClient(
    machine('svc-jwt', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [pkjwt.jwk] } }),
  );
  await t.stores.directory.putClient(
    machine('rs-jwt', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [pkjwt.jwk] },
      scopes: [],
      introspection: true,
    }),
  );
  const handlers: RoutedHandler[] = sourceHandlers.map((h) => {
    const name = nameOf(h);
    const ws = workspaceOf(name);
    const served = h.forWorkspaces(async () => ws);
    const recorded = async (event: APIGatewayProxyEvent) => {
      routesServed.add(`${event.httpMethod} ${relativePath(event.path, ws)}`);
      const res = await served(event);
      if (res.statusCode >= 500) serverErrors.push(`${event.httpMethod} ${event.path}: ${res.statusCode}`);
      return res;
    };
    return Object.assign(recorded, { routes: served.routes });
  });
  agent = () => new Agent({ issuer: t.ws.issuer, handlers });
});

afterAll(() => kms?.stop());

/** A client assertion for `clientId`, signed with its registered key. */
const assertion = (clientId: string) =>
  signAssertion(pkjwt, { now: t.clock.now(), clientId, aud: t.ws.issuer }).then((a) => ({
    client_id: clientId,
    client_assertion_type: JWT_BEARER,
    client_assertion: a,
  }));

/** The login page of a fresh authorization request. */
async function loginPage(browser: Agent): Promise<AgentResponse> {
  const page = await follow(browser, await browser.get(authorizeUrl(validRequest().params)));
  expect(page.body).toContain('name="password"');
  return page;
}

/** Every flow of every endpoint, through the handlers, as browsers, clients and resource servers use them. */
async function driveEveryFlow(): Promise<void> {
  const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });

  // A new sign-in (authorize, login, consent, code), then SSO at the same client, by GET and by POST.
  const browser = agent();
  const first = validRequest();
  const code = (await obtainCode(browser, first.params)).searchParams.get('code')!;
  const tokens = await browser.post('oauth2/token', { form: tokenForm(code, first.verifier) });
  expect(tokens.status, tokens.body).toBe(200);
  const { access_token: accessToken, id_token: idToken } = tokens.json();
  expect((await browser.get(authorizeUrl(validRequest().params))).location?.searchParams.get('code')).toBeTruthy();
  const posted = await browser.post('oauth2/authorize', { form: validRequest().params as Record<string, string> });
  expect(posted.location?.searchParams.get('code')).toBeTruthy();

  // SSO with an id_token_hint, which the authorization endpoint verifies with the public keys.
  const hinted = await browser.get(authorizeUrl({ ...validRequest().params, prompt: 'none', id_token_hint: idToken }));
  expect(hinted.location?.searchParams.get('code')).toBeTruthy();

  // Consent asked again of the signed-in user: allowed, then denied.
  for (const decision of ['allow', 'deny'] as const) {
    const page = await follow(
      browser,
      await browser.get(authorizeUrl({ ...validRequest().params, prompt: 'consent' })),
    );
    const res = await submitDecision(browser, page, decision);
    expect(res.location?.searchParams.get(decision === 'allow' ? 'code' : 'error')).toBeTruthy();
  }

  // Failed logins, up to the throttle and past it; a refused consent after a fresh login.
  const stranger = agent();
  for (let i = 0; i < 3; i++) {
    const res = await submitLogin(stranger, await loginPage(stranger), 'nobody', 'wrong password');
    expect(res.status).toBe(i < 2 ? 200 : 429);
  }
  const denier = agent();
  const afterLogin = await follow(
    denier,
    await submitLogin(
      denier,
      await follow(
        denier,
        await denier.get(authorizeUrl(validRequest('backend', 'https://backend.example.com/cb').params)),
      ),
    ),
  );
  expect((await submitDecision(denier, afterLogin, 'deny')).location?.searchParams.get('error')).toBe('access_denied');

  // A pushed request (a failed secret first), taken up at the authorization endpoint, its code redeemed.
  const pushing = validRequest('pushing', 'https://pushing.example.com/cb');
  const pushForm = pushing.params as Record<string, string>;
  const badPush = await agent().post('oauth2/par', {
    form: pushForm,
    headers: { Authorization: basicAuth('pushing', 'wrong') },
  });
  expect(badPush.status).toBe(401);
  const pushed = await agent().post('oauth2/par', {
    form: pushForm,
    headers: { Authorization: basicAuth('pushing', TEST_SECRET) },
  });
  expect(pushed.status, pushed.body).toBe(201);
  const parCode = (
    await obtainCode(browser, { client_id: 'pushing', request_uri: pushed.json().request_uri })
  ).searchParams.get('code')!;
  const parTokens = await agent().post('oauth2/token', {
    form: {
      grant_type: 'authorization_code',
      code: parCode,
      code_verifier: pushing.verifier,
      redirect_uri: 'https://pushing.example.com/cb',
    },
    headers: { Authorization: basicAuth('pushing', TEST_SECRET) },
  });
  expect(parTokens.status, parTokens.body).toBe(200);

  // Refresh tokens: issued, rotated, and revoked; an access token revoked.
  const offline = validRequest('offline', 'https://offline.example.com/cb', 'openid profile offline_access');
  const offlineCode = (await obtainCode(browser, offline.params)).searchParams.get('code')!;
  const offlineTokens = await agent().post('oauth2/token', {
    form: {
      ...tokenForm(offlineCode, offline.verifier),
      client_id: 'offline',
      redirect_uri: 'https://offline.example.com/cb',
    },
  });
  expect(offlineTokens.status, offlineTokens.body).toBe(200);
  const refreshed = await agent().post('oauth2/token', {
    form: { grant_type: 'refresh_token', refresh_token: offlineTokens.json().refresh_token, client_id: 'offline' },
  });
  expect(refreshed.status, refreshed.body).toBe(200);

  // Introspection, with a secret (and a wrong one) and with a client assertion; userinfo, by GET and POST.
  const introspected = await agent().post('oauth2/introspect', {
    form: { token: accessToken },
    headers: { Authorization: basicAuth('orders-api', TEST_SECRET) },
  });
  expect(introspected.json()).toMatchObject({ active: true });
  const refreshIntrospected = await agent().post('oauth2/introspect', {
    form: { token: refreshed.json().refresh_token, ...(await assertion('rs-jwt')) },
  });
  expect(refreshIntrospected.json()).toMatchObject({ active: true });
  const badIntrospection = await agent().post('oauth2/introspect', {
    form: { token: accessToken },
    headers: { Authorization: basicAuth('orders-api', 'wrong') },
  });
  expect(badIntrospection.status).toBe(401);
  expect((await agent().get('userinfo', { headers: bearer(accessToken) })).json()).toMatchObject({ sub: t.aliceSub });
  expect((await agent().post('userinfo', { headers: bearer(accessToken) })).status).toBe(200);

  for (const [tokenValue, clientId] of [
    [accessToken, 'spa'],
    [refreshed.json().refresh_token, 'offline'],
    [offlineTokens.json().access_token, 'offline'],
  ] as const) {
    expect((await agent().post('oauth2/revoke', { form: { token: tokenValue, client_id: clientId } })).status).toBe(
      200,
    );
  }

  // client_credentials: with a secret, a wrong secret, and a client assertion.
  const ccForm = { grant_type: 'client_credentials' };
  const withSecret = await agent().post('oauth2/token', {
    form: ccForm,
    headers: { Authorization: basicAuth('svc', TEST_SECRET) },
  });
  expect(withSecret.status, withSecret.body).toBe(200);
  const wrongSecret = await agent().post('oauth2/token', {
    form: ccForm,
    headers: { Authorization: basicAuth('svc', 'wrong') },
  });
  expect(wrongSecret.status).toBe(401);
  const withAssertion = await agent().post('oauth2/token', { form: { ...ccForm, ...(await assertion('svc-jwt')) } });
  expect(withAssertion.status, withAssertion.body).toBe(200);

  // Logout: with a hint (GET, then POST after signing in again), and confirmed without one.
  const signedOut = 'https://spa.example.com/signed-out';
  const out = await browser.get(
    `oauth2/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: signedOut })}`,
  );
  expect(out.location?.href).toMatch(/^https:\/\/spa\.example\.com\/signed-out/);
  const again = validRequest();
  const againCode = (await obtainCode(browser, again.params)).searchParams.get('code')!;
  const againTokens = await agent().post('oauth2/token', { form: tokenForm(againCode, again.verifier) });
  const postOut = await browser.post('oauth2/logout', {
    form: { id_token_hint: againTokens.json().id_token, post_logout_redirect_uri: signedOut },
  });
  expect(postOut.location?.href).toMatch(/^https:\/\/spa\.example\.com\/signed-out/);
  await obtainCode(browser, validRequest().params);
  const confirm = await browser.get('oauth2/logout');
  expect(confirm.body).toContain('name="logout" value="confirm"');
  const confirmed = await browser.post('oauth2/logout', {
    form: { logout: 'confirm', csrf: confirm.body.match(/name="csrf" value="([^"]*)"/)![1]! },
  });
  expect(confirmed.status).toBe(200);
  expect(browser.cookies.has('authz_session')).toBe(false);

  // Federated sign-ins: the first links a new user, the second finds it and refreshes its claims.
  for (let i = 0; i < 2; i++) {
    const { res } = await federatedSignIn({ main: agent(), upstream: new Agent(upstream.ws) });
    expect(res.location?.searchParams.get('code'), res.body).toBeTruthy();
  }

  // Keys, metadata and CORS preflights.
  for (const path of [
    '.well-known/jwks.json',
    '.well-known/openid-configuration',
    '.well-known/oauth-authorization-server',
  ])
    expect((await agent().get(path)).status).toBe(200);
  for (const path of ['oauth2/token', 'oauth2/revoke', 'userinfo']) {
    const res = await agent().request('OPTIONS', path, { headers: { Origin: 'https://spa.example.com' } });
    expect(res.status).toBeLessThan(300);
  }
}

describe('the IAM actions each function uses', () => {
  beforeAll(driveEveryFlow, 60_000);

  it('answered every request without a server error, and exercised every handler of the manifest', () => {
    expect(serverErrors).toEqual([]);
    const idle = handlerNames.filter((n) => !handlerManifest[n].some((r) => routesServed.has(r)));
    expect(idle).toEqual([]);
    expect(handlerNames.flatMap((n) => handlerManifest[n].filter((r) => !routesServed.has(r)))).toEqual([]);
  });

  it.each(handlerNames)('%s: uses only the table actions and key access it is granted', (name) => {
    const granted: HandlerAccess = handlerAccess[name];
    const use = used[name];
    expect([...use.actions].filter((a) => !(granted.table as readonly string[]).includes(a))).toEqual([]);
    // The grant is on the table itself: no index, no other table.
    expect([...use.resources].filter((r) => r !== t.tableName)).toEqual([]);
    const keyUse = [...use.keys].reduce<KeyAccess>((most, k) => (KEY_LEVEL[k] > KEY_LEVEL[most] ? k : most), 'none');
    expect({ keyUse, within: KEY_LEVEL[keyUse] <= KEY_LEVEL[granted.keys] }).toEqual({ keyUse, within: true });
    // kms:Sign is granted on the active key only.
    expect([...use.signedWith].filter((k) => k !== ACTIVE_KEY)).toEqual([]);
    const unused = granted.table.filter((a) => !use.actions.has(a));
    if (unused.length || KEY_LEVEL[keyUse] < KEY_LEVEL[granted.keys])
      console.info(
        `${name}: granted but not used by these flows: ${[...unused, `keys ${granted.keys} (used ${keyUse})`].join(', ')}`,
      );
  });
});

describe('dynamoActionsOf', () => {
  it('names a transaction by the actions of its items, and a batch by its own action', () => {
    expect(
      dynamoActionsOf('TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'T' } },
          { Update: { TableName: 'T' } },
          { Delete: { TableName: 'T' } },
          { ConditionCheck: { TableName: 'T' } },
        ],
      }),
    ).toEqual({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
      resources: ['T', 'T', 'T', 'T'],
    });
    expect(dynamoActionsOf('TransactGetItems', { TransactItems: [{ Get: { TableName: 'T' } }] }).actions).toEqual([
      'dynamodb:GetItem',
    ]);
    expect(dynamoActionsOf('BatchGetItem', { RequestItems: { T: {} } })).toEqual({
      actions: ['dynamodb:BatchGetItem'],
      resources: ['T'],
    });
    expect(dynamoActionsOf('Query', { TableName: 'T', IndexName: 'byUser' })).toEqual({
      actions: ['dynamodb:Query'],
      resources: ['T/index/byUser'],
    });
  });
});

// Faults of the table and the signing key, injected into the real AWS clients (DynamoDB Local, a KMS stand-in): every
// call a clean run of each flow makes, failed in every way that call can fail. Each must end in a clean answer
// (503 temporarily_unavailable with Retry-After: JSON, a page or a redirect, as the route answers), leave nothing
// half done, issue no token set twice, consume no code or refresh token without answering with its tokens (but when
// the write's own answer is lost), and the same request must work once the fault has cleared.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { isRetryable } from '../../lambdas/adapters/aws/errors.js';
import { AwsJsonClient, KMS } from '../../lambdas/adapters/aws/json-client.js';
import { isTransientFault } from '../../lambdas/adapters/aws-faults.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';
import { hashToken } from '../../lambdas/core/crypto.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import { authorizeUrl, follow, obtainCode, submitDecision, submitLogin, validRequest } from '../support/flow.js';
import { basic, refresh, revoke } from '../support/lifecycle.js';
import {
  type FaultInjector,
  type FaultKind,
  type RecordedCall,
  faultError,
  injectFaults,
  kindsFor,
} from '../support/faults.js';
import { type KmsStandIn, startKmsStandIn } from '../support/kms-stand-in.js';
import { TEST_PASSWORD, type TestWorkspace, newTestWorkspace } from '../support/workspace.js';
import { tableSnapshot } from '../support/table-snapshot.js';

/** How a route answers: the JSON endpoints, the hosted pages, the authorization endpoint's redirect to the client. */
type Surface = 'json' | 'page' | 'redirect';

/** One request of a flow, prepared (with everything it needs already done) and ready to be sent, more than once. */
interface Step {
  send(): Promise<AgentResponse>;
  /** What a successful answer looks like. */
  succeeded(res: AgentResponse): void;
  /** The code or refresh token the request consumes, if any, to check it is consumed only when answered with tokens. */
  readonly consumes?: { readonly pk: string };
}

interface Flow {
  readonly name: string;
  readonly surface: Surface;
  prepare(ctx: Context): Promise<Step>;
}

interface Context {
  readonly t: TestWorkspace;
  readonly ws: Workspace;
  /** An agent signed in as alice, who consented to `offline` (openid profile offline_access). */
  readonly sso: Agent;
  /** The codes and refresh tokens (their items' keys) whose redemption was answered with tokens. */
  readonly answered: Set<string>;
}

const OFFLINE_SCOPE = 'openid profile offline_access';

const tokenOk = (res: AgentResponse) => {
  expect(res.status, res.body).toBe(200);
  expect(res.json().access_token).toEqual(expect.any(String));
};

/** A code for `offline` straight from alice's session (consent remembered), and what redeeming it needs. */
async function ssoCode(ctx: Context) {
  const { params, verifier } = validRequest('offline', 'https://offline.example.com/cb', OFFLINE_SCOPE);
  const res = await ctx.sso.get(authorizeUrl(params));
  const code = res.location?.searchParams.get('code');
  if (!code) throw new Error(`no code from the session: ${res.status} ${res.location}`);
  return { code, verifier };
}

const redeemForm = (code: string, verifier: string) => ({
  grant_type: 'authorization_code',
  code,
  code_verifier: verifier,
  redirect_uri: 'https://offline.example.com/cb',
  client_id: 'offline',
});

async function tokens(ctx: Context) {
  const { code, verifier } = await ssoCode(ctx);
  const res = await new Agent(ctx.ws).post('oauth2/token', { form: redeemForm(code, verifier) });
  tokenOk(res);
  ctx.answered.add(`CODE#${hashToken(code)}`);
  return res.json() as { access_token: string; refresh_token: string; id_token: string };
}

const flows: Flow[] = [
  {
    name: 'login',
    surface: 'page',
    async prepare(ctx) {
      const agent = new Agent(ctx.ws);
      const page = await follow(agent, await agent.get(authorizeUrl(validRequest().params)));
      expect(page.body).toContain('name="password"');
      return {
        send: () => submitLogin(agent, page),
        succeeded: (res) => expect(res.status, res.body.slice(0, 300)).toBe(303),
      };
    },
  },
  {
    name: 'consent Allow',
    surface: 'page',
    async prepare(ctx) {
      const { params } = validRequest();
      const page = await follow(ctx.sso, await ctx.sso.get(authorizeUrl({ ...params, prompt: 'consent' })));
      expect(page.body).toContain('name="decision"');
      return {
        send: () => submitDecision(ctx.sso, page, 'allow'),
        succeeded: (res) => {
          expect(res.status, res.body.slice(0, 300)).toBe(303);
          expect(res.location?.searchParams.get('code')).toEqual(expect.any(String));
        },
      };
    },
  },
  {
    name: 'authorization from the session',
    surface: 'redirect',
    async prepare(ctx) {
      const { params } = validRequest('offline', 'https://offline.example.com/cb', OFFLINE_SCOPE);
      return {
        send: () => ctx.sso.get(authorizeUrl(params)),
        succeeded: (res) => expect(res.location?.searchParams.get('code')).toEqual(expect.any(String)),
      };
    },
  },
  {
    name: 'code redemption',
    surface: 'json',
    async prepare(ctx) {
      const { code, verifier } = await ssoCode(ctx);
      return {
        send: () => new Agent(ctx.ws).post('oauth2/token', { form: redeemForm(code, verifier) }),
        succeeded: tokenOk,
        consumes: { pk: `CODE#${hashToken(code)}` },
      };
    },
  },
  {
    name: 'refresh',
    surface: 'json',
    async prepare(ctx) {
      const { refresh_token } = await tokens(ctx);
      return {
        send: () => refresh({ ...ctx.t, ws: ctx.ws }, refresh_token),
        succeeded: tokenOk,
        consumes: { pk: `RT#${hashToken(refresh_token)}` },
      };
    },
  },
  {
    name: 'revocation of a refresh token',
    surface: 'json',
    async prepare(ctx) {
      const { refresh_token } = await tokens(ctx);
      return {
        send: () => revoke({ ...ctx.t, ws: ctx.ws }, refresh_token),
        succeeded: (res) => expect(res.status).toBe(200),
      };
    },
  },
  {
    name: 'revocation of an access token',
    surface: 'json',
    async prepare(ctx) {
      const { access_token } = await tokens(ctx);
      return {
        send: () => revoke({ ...ctx.t, ws: ctx.ws }, access_token),
        succeeded: (res) => expect(res.status).toBe(200),
      };
    },
  },
  {
    name: 'introspection',
    surface: 'json',
    async prepare(ctx) {
      const { access_token } = await tokens(ctx);
      return {
        send: () =>
          new Agent(ctx.ws).post('oauth2/introspect', {
            form: { token: access_token },
            headers: { Authorization: basic('orders-api') },
          }),
        succeeded: (res) => expect(res.json()).toMatchObject({ active: true }),
      };
    },
  },
  {
    name: 'userinfo',
    surface: 'json',
    async prepare(ctx) {
      const { access_token } = await tokens(ctx);
      return {
        send: () => new Agent(ctx.ws).get('userinfo', { headers: { Authorization: `Bearer ${access_token}` } }),
        succeeded: (res) => expect(res.json()).toMatchObject({ name: expect.any(String) }),
      };
    },
  },
  {
    name: 'PAR',
    surface: 'json',
    async prepare(ctx) {
      const { params } = validRequest('pushing', 'https://pushing.example.com/cb');
      const form = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      return {
        send: () => new Agent(ctx.ws).post('oauth2/par', { form, headers: { Authorization: basic('pushing') } }),
        succeeded: (res) => expect(res.status, res.body).toBe(201),
      };
    },
  },
  {
    name: 'client_credentials',
    surface: 'json',
    async prepare(ctx) {
      return {
        send: () =>
          new Agent(ctx.ws).post('oauth2/token', {
            form: { grant_type: 'client_credentials' },
            headers: { Authorization: basic('orders-api') },
          }),
        succeeded: tokenOk,
      };
    },
  },
  {
    name: 'logout',
    surface: 'redirect',
    async prepare(ctx) {
      // A session of its own: the logout ends it.
      const agent = new Agent(ctx.ws);
      const { params } = validRequest('first', 'https://first.example.com/cb', 'openid');
      await obtainCode(agent, params);
      const query = { client_id: 'spa', post_logout_redirect_uri: 'https://spa.example.com/signed-out' };
      const confirm = await agent.get(`oauth2/logout?${new URLSearchParams(query)}`);
      const csrf = /name="csrf" value="([^"]*)"/.exec(confirm.body)?.[1];
      expect(csrf).toBeDefined();
      return {
        send: () => agent.post('oauth2/logout', { form: { ...query, logout: 'confirm', csrf: csrf! } }),
        succeeded: (res) => expect(res.location?.toString()).toBe('https://spa.example.com/signed-out'),
      };
    },
  },
];

/** The answer to a request that met a fault which passes: 503 with Retry-After, in the form the route answers in. */
function expectUnavailable(res: AgentResponse, surface: Surface): void {
  const context = `${res.status} ${res.location ?? ''} ${res.body.slice(0, 200)}`;
  // A browser POST answered with a redirect back to the client (logout) still fails with a page, never a redirect.
  if (surface === 'redirect' && res.location) {
    expect(res.location.searchParams.get('error'), context).toBe('temporarily_unavailable');
    return;
  }
  expect(res.status, context).toBe(503);
  expect(res.headers['retry-after'], context).toBe('1');
  if (res.headers['content-type']?.startsWith('text/html')) {
    expect(res.body).toContain('Please try again');
    expect(surface).not.toBe('json');
  } else {
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(surface).toBe('json');
  }
}

/**
 * Nothing half done: a consumed code has its grant and a grant its consumed code (one transaction); every refresh
 * token belongs to a grant, which has exactly one unconsumed refresh token (rotation consumes one and writes its
 * successor together). Codes and refresh tokens consumed are only those answered with tokens, or those `lost`.
 */
async function expectWhole(t: TestWorkspace, answered: Set<string>, lost: Set<string>): Promise<void> {
  const items = (await tableSnapshot(t)) as Record<string, any>[];
  const of = (prefix: string) => items.filter((i) => String(i.pk).startsWith(prefix));
  const grants = new Map(of('GRANT#').map((g) => [g.grantId as string, g]));
  const consumedCodes = of('CODE#').filter((c) => c.consumedAt !== undefined);
  for (const code of consumedCodes)
    expect(grants.get(code.grantId)?.createdAt, 'grant of a consumed code').toBeDefined();
  const redeemed = new Set(consumedCodes.map((c) => c.grantId as string));
  for (const grant of grants.values())
    if (grant.createdAt !== undefined) expect(redeemed.has(grant.grantId), 'code of a grant').toBe(true);
  const tokensByGrant = new Map<string, Record<string, any>[]>();
  for (const rt of of('RT#')) tokensByGrant.set(rt.grantId, [...(tokensByGrant.get(rt.grantId) ?? []), rt]);
  for (const [grantId, family] of tokensByGrant) {
    expect(grants.get(grantId)?.createdAt, 'grant of a refresh token').toBeDefined();
    expect(
      family.filter((rt) => rt.consumedAt === undefined),
      `unconsumed refresh tokens of ${grantId}`,
    ).toHaveLength(1);
  }
  for (const item of [...consumedCodes, ...of('RT#').filter((rt) => rt.consumedAt !== undefined)]) {
    expect(answered.has(item.pk) || lost.has(item.pk), `${item.pk} consumed without its tokens`).toBe(true);
  }
}

/**
 * `FAULT_MATRIX=full` tries every kind of fault on every call (`npm run faults`); otherwise every call meets one
 * fault, the kinds taking turns along the calls, to keep `npm test` short.
 */
const FULL = process.env.FAULT_MATRIX === 'full';

const sampled = (kinds: FaultKind[], index: number): FaultKind[] => (FULL ? kinds : [kinds[index % kinds.length]!]);

/** The (label, occurrence) of every call, in order, with the fault kinds it is tried with. */
function matrixOf(calls: readonly RecordedCall[]): { call: RecordedCall; occurrence: number; kinds: FaultKind[] }[] {
  const seen = new Map<string, number>();
  return calls.map((call, index) => {
    const occurrence = seen.get(call.label) ?? 0;
    seen.set(call.label, occurrence + 1);
    return { call, occurrence, kinds: sampled(kindsFor(call), index) };
  });
}

let kms: KmsStandIn;
beforeAll(async () => {
  kms = await startKmsStandIn({ 'key-1': 'RS256' });
});
afterAll(() => kms.stop());

/** A workspace signing with KMS, both AWS clients carrying the fault injector; no login throttling in the way. */
async function faultyWorkspace(): Promise<{ ctx: Context; faults: FaultInjector }> {
  const t = await newTestWorkspace({ settings: { maxFailuresPerUsername: 100_000, maxFailuresPerAddress: 100_000 } });
  const kmsClient = new AwsJsonClient({
    service: KMS,
    endpoint: kms.endpoint,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
  });
  // A cheap password hash (scrypt N=2^10, as self-describing as the real one): the login flow signs in over a
  // hundred times.
  const salt = randomBytes(16);
  const cheap = scryptSync(TEST_PASSWORD, salt, 32, { N: 1024, r: 8, p: 1 });
  await t.doc.send(
    new UpdateCommand({
      TableName: t.tableName,
      Key: { pk: `USER#${t.aliceSub}` },
      UpdateExpression: 'SET passwordHash = :hash',
      ExpressionAttributeValues: {
        ':hash': `scrypt$1024$8$1$${salt.toString('base64url')}$${cheap.toString('base64url')}`,
      },
    }),
  );
  const faults = injectFaults({ dynamo: t.db.client, kms: kmsClient });
  const signer = new KmsSigner({ client: kmsClient, keyId: 'key-1', alg: 'RS256' });
  const ws: Workspace = { ...t.ws, keys: { active: signer, all: [signer] } };
  const sso = new Agent(ws);
  const { params } = validRequest('offline', 'https://offline.example.com/cb', OFFLINE_SCOPE);
  await obtainCode(sso, params);
  // The public key is fetched once per container; fetched here, it is not part of the flows' calls.
  await signer.publicJwk();
  return { ctx: { t: { ...t, ws }, ws, sso, answered: new Set() }, faults };
}

describe.each(flows)('$name', (flow) => {
  it(
    'ends every fault of every call cleanly, leaves nothing half done, and works again once it clears',
    { timeout: FULL ? 600_000 : 60_000 },
    async () => {
      const { ctx, faults } = await faultyWorkspace();
      const { answered } = ctx;
      const lost = new Set<string>();
      const run = async (step: Step) => {
        const res = await step.send();
        if (step.consumes && res.status === 200) answered.add(step.consumes.pk);
        return res;
      };

      // A clean run: the calls the flow makes, whatever the current code makes them.
      const clean = await flow.prepare(ctx);
      faults.reset();
      clean.succeeded(await run(clean));
      const matrix = matrixOf(faults.calls);
      expect(matrix.length).toBeGreaterThan(0);

      const outcomes: string[] = [];
      for (const { call, occurrence, kinds } of matrix) {
        for (const kind of kinds) {
          const step = await flow.prepare(ctx);
          faults.reset({ label: call.label, occurrence, kind });
          const res = await run(step);
          const cell = `${call.label} #${occurrence} × ${kind}`;
          expect(faults.fired, cell).toBe(true);
          faults.reset();
          outcomes.push(`${cell}: ${res.status}`);
          if (kind === 'conflict' && res.status < 500) {
            // A race lost on every attempt by a conditional write: refused as the race it is (or a retry later).
            expect(res.location?.searchParams.get('error') ?? 'none', cell).not.toBe('server_error');
          } else {
            expectUnavailable(res, flow.surface);
          }
          if (kind === 'lost-reply' && step.consumes) lost.add(step.consumes.pk);
          await expectWhole(ctx.t, answered, lost);

          // The fault has cleared: the same request works, unless a write whose reply was lost did what the request
          // needed once (consumed the code, recorded the login); then it is refused cleanly and a fresh start works.
          const again = await run(step);
          if (kind === 'lost-reply' && again.status >= 400) {
            expect(again.status, cell).toBeLessThan(500);
            const fresh = await flow.prepare(ctx);
            fresh.succeeded(await run(fresh));
          } else {
            expect(
              again.status,
              `${cell}, then: ${/<h1>(.*?)<\/h1>/.exec(again.body)?.[1] ?? again.body.slice(0, 200)}`,
            ).toBeLessThan(400);
            step.succeeded(again);
          }
          await expectWhole(ctx.t, answered, lost);
        }
      }
      console.info(`fault matrix, ${flow.name}: ${matrix.length} calls, ${outcomes.length} cells`);
      // No code ever gave two token sets.
      const issued = ctx.t.audit.filter(
        (e) => e.type === 'token.issued' && e.fields.grantType === 'authorization_code',
      );
      const grants = issued.map((e) => e.fields.grantId);
      expect(new Set(grants).size).toBe(grants.length);
    },
  );
});

it('injects faults the client retries and that pass once its retries are spent, and leaves a conflict to the stores', () => {
  const calls: RecordedCall[] = [
    { label: 'GetItem CODE', service: 'DynamoDB', write: false },
    { label: 'PutItem SESSION', service: 'DynamoDB', write: true },
    { label: 'TransactWriteItems [update CODE, put GRANT]', service: 'DynamoDB', write: true, transactItems: 2 },
    { label: 'KMS Sign', service: 'KMS', write: false },
  ];
  for (const call of calls) {
    for (const kind of kindsFor(call)) {
      const err = faultError(kind, call);
      const passes = kind !== 'conflict';
      expect({ kind, retried: isRetryable(err), transient: isTransientFault(err) }).toEqual({
        kind,
        retried: passes,
        transient: passes,
      });
    }
  }
});

it('signs in again when a login is posted to a transaction whose earlier login answer never reached the browser', async () => {
  const t = await newTestWorkspace();
  const agent = new Agent(t.ws);
  const page = await follow(agent, await agent.get(authorizeUrl(validRequest().params)));
  // The login is recorded, but the browser never sees the answer (and never gets the session cookie).
  expect((await submitLogin(agent, page)).status).toBe(303);
  agent.cookies.delete('authz_session');

  const again = await submitLogin(agent, page);

  expect(again.status, again.body.slice(0, 200)).toBe(303);
  expect(again.location?.pathname).toBe('/acme/main/consent');
  expect(agent.cookies.get('authz_session')).toEqual(expect.any(String));
  const consent = await follow(agent, again);
  expect((await submitDecision(agent, consent, 'allow')).location?.searchParams.get('code')).toEqual(
    expect.any(String),
  );
});

// Benchmark: complete code flows and client_credentials through the real handler modules against DynamoDB Local, with
// AWS calls (and DynamoDB capacity units) counted per step; written to bench-results/calls.json for bench/cost.ts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_CREDENTIALS } from '../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../lambdas/adapters/aws/dynamodb.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { hashClientSecret, hashPassword, newId } from '../lambdas/core/crypto.js';
import { Agent, hiddenField } from '../test/support/agent.js';
import { CallRecorder } from '../test/support/aws-calls.js';
import { benchWorkspace } from './workspace.js';

const FLOWS = Number(process.env.FLOWS ?? 40);
process.env.AUTHZ_LOG = 'off';

const calls = new Map<string, number>();
let signatures = 0;
const count = (name: string, by = 1) => calls.set(name, (calls.get(name) ?? 0) + by);
/** Reads are billed in read request units, writes in write request units; a transaction costs twice its items. */
const READS = ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems'];
const TRANSACTIONS = ['TransactWriteItems', 'TransactGetItems'];
/** The item operations, which take `ReturnConsumedCapacity` (the table's own, such as CreateTable, refuse it). */
const ITEM_OPERATIONS = [...READS, ...TRANSACTIONS, 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const BACKEND_SECRET = 'bench-backend-secret-0123456789abcdef';

const db = await startDynamoDbLocal();
try {
  // The client the Lambdas use, on DynamoDB Local.
  const client = DynamoDb.create({ endpoint: db.endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  // Sequential round trips per request: DynamoDB calls and signatures on one timeline.
  const recorder = new CallRecorder();
  recorder.watch(client);
  // Interceptors see a call once, around its retries; a retried call would count once (none are, against Local).
  client.client.use(async (call, next) => {
    count(call.operation);
    if (!ITEM_OPERATIONS.includes(call.operation)) return next(call);
    // DynamoDB Local reports the capacity a request consumes, as DynamoDB does, when asked to.
    const out = await next({ ...call, input: { ...call.input, ReturnConsumedCapacity: 'TOTAL' } });
    const consumed = out.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
    const units = [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
    const factor = TRANSACTIONS.includes(call.operation) ? 2 : 1;
    count(READS.includes(call.operation) ? 'RRU' : 'WRU', units * factor);
    return out;
  });
  const { ws, directory } = await benchWorkspace('bench', client, {
    signer: (local) =>
      recorder.gatedSigner({
        alg: local.alg,
        publicJwk: () => local.publicJwk(),
        sign: (i) => (signatures++, local.sign(i)),
      }),
  });
  await directory.putClient({
    clientId: 'spa',
    tokenEndpointAuthMethod: 'none',
    redirectUris: ['https://spa.example.com/cb'],
    grantTypes: ['authorization_code'],
    scopes: ['openid', 'profile', 'email'],
  });
  await directory.putClient({
    clientId: 'backend',
    tokenEndpointAuthMethod: 'client_secret_basic',
    secretHash: hashClientSecret(BACKEND_SECRET),
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['api:read'],
  });
  const passwordHash = await hashPassword('bench-password-123');
  for (let i = 0; i < FLOWS; i++)
    await directory.createUser({
      sub: newId(),
      username: `user${i}`,
      passwordHash,
      claims: { email: `u${i}@example.com` },
    });

  const authorizeUrl = () => {
    const verifier = randomBytes(32).toString('base64url');
    const q = new URLSearchParams({
      client_id: 'spa',
      redirect_uri: 'https://spa.example.com/cb',
      response_type: 'code',
      scope: 'openid email',
      state: 's',
      nonce: 'n',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    return { url: `oauth2/authorize?${q}`, verifier };
  };
  const redeem = (agent: Agent, location: URL, verifier: string) =>
    agent.post('oauth2/token', {
      form: {
        grant_type: 'authorization_code',
        code: location.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: 'https://spa.example.com/cb',
        client_id: 'spa',
      },
    });

  /** Each step is one request, so one API Gateway request and one invocation of `handler`. */
  const HANDLER = {
    authorize: 'authorize',
    'login page': 'consent',
    'login POST': 'consent',
    'consent page': 'consent',
    'consent POST': 'consent',
    token: 'token',
    'SSO authorize': 'authorize',
    client_credentials: 'token',
  } as const;
  type Step = keyof typeof HANDLER;
  const perStep = new Map<Step, Map<string, number>>();
  const timeOf = new Map<Step, number>();
  const roundTripsOf = new Map<Step, number>();
  async function step<T>(name: Step, fn: () => Promise<T>): Promise<T> {
    const before = new Map(calls);
    const signed = signatures;
    const started = performance.now();
    const out = await recorder.during(fn);
    timeOf.set(name, (timeOf.get(name) ?? 0) + performance.now() - started);
    roundTripsOf.set(name, (roundTripsOf.get(name) ?? 0) + recorder.roundTrips());
    count(`signatures:${name}`, signatures - signed);
    const m = perStep.get(name) ?? new Map<string, number>();
    for (const [k, v] of calls) m.set(k, (m.get(k) ?? 0) + v - (before.get(k) ?? 0));
    perStep.set(name, m);
    return out;
  }

  const agents: Agent[] = [];
  const fullStarted = performance.now();
  for (let i = 0; i < FLOWS; i++) {
    const agent = new Agent(ws);
    agents.push(agent);
    const { url, verifier } = authorizeUrl();
    const start = await step('authorize', () => agent.get(url));
    const login = await step('login page', () => agent.get(start.location!.toString()));
    const form = { txn: hiddenField(login.body, 'txn'), csrf: hiddenField(login.body, 'csrf') };
    const afterLogin = await step('login POST', () =>
      agent.post('consent', { form: { ...form, username: `user${i}`, password: 'bench-password-123' } }),
    );
    const consent = await step('consent page', () => agent.get(afterLogin.location!.toString()));
    const back = await step('consent POST', () =>
      agent.post('consent', {
        form: { txn: hiddenField(consent.body, 'txn'), csrf: hiddenField(consent.body, 'csrf'), decision: 'allow' },
      }),
    );
    const res = await step('token', () => redeem(agent, back.location!, verifier));
    if (res.status !== 200) throw new Error(`flow ${i} failed: ${res.body}`);
  }
  const fullMs = performance.now() - fullStarted;

  const ssoStarted = performance.now();
  const ssoCpu = process.cpuUsage();
  for (const agent of agents) {
    const { url, verifier } = authorizeUrl();
    const back = await step('SSO authorize', () => agent.get(url));
    const res = await step('token', () => redeem(agent, back.location!, verifier));
    if (res.status !== 200) throw new Error(`SSO flow failed: ${res.body}`);
  }
  const ssoMs = performance.now() - ssoStarted;
  const { user, system } = process.cpuUsage(ssoCpu);

  const basic = `Basic ${Buffer.from(`backend:${BACKEND_SECRET}`).toString('base64')}`;
  const ccAgent = new Agent(ws);
  for (let i = 0; i < FLOWS; i++) {
    const res = await step('client_credentials', () =>
      ccAgent.post('oauth2/token', {
        form: { grant_type: 'client_credentials', scope: 'api:read' },
        headers: { authorization: basic },
      }),
    );
    if (res.status !== 200) throw new Error(`client_credentials failed: ${res.body}`);
  }

  const runs: Record<Step, number> = {
    authorize: FLOWS,
    'login page': FLOWS,
    'login POST': FLOWS,
    'consent page': FLOWS,
    'consent POST': FLOWS,
    token: 2 * FLOWS,
    'SSO authorize': FLOWS,
    client_credentials: FLOWS,
  };
  console.log(`flows: ${FLOWS} full (login + consent) and ${FLOWS} SSO, sequential, one process, DynamoDB Local`);
  console.log(
    `full flow: ${(FLOWS / (fullMs / 1000)).toFixed(1)} flows/s; SSO flow: ${(FLOWS / (ssoMs / 1000)).toFixed(1)} flows/s; SSO/full time ratio ${(ssoMs / fullMs).toFixed(2)}`,
  );
  console.log('step               ms/op   round trips   DynamoDB calls per op');
  const steps: Record<string, { handler: string; ms: number; roundTrips: number; calls: Record<string, number> }> = {};
  for (const [name, m] of perStep) {
    const n = runs[name];
    const perOp = [...m].filter(([k, v]) => v > 0 && !k.startsWith('signatures:')).map(([k, v]) => [k, v / n] as const);
    const signed = (m.get(`signatures:${name}`) ?? 0) / n;
    const detail = perOp.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') || 'none';
    const ms = (timeOf.get(name) ?? 0) / n;
    const roundTrips = (roundTripsOf.get(name) ?? 0) / n;
    console.log(
      `${name.padEnd(18)} ${ms.toFixed(1).padStart(6)}   ${roundTrips.toFixed(2).padStart(11)}   ${detail}${signed ? `; signatures ${signed}` : ''}`,
    );
    steps[name] = { handler: HANDLER[name], ms, roundTrips, calls: { ...Object.fromEntries(perOp), Sign: signed } };
  }
  // This process only: the handlers, their AWS clients and the test agent; DynamoDB Local runs in its own.
  console.log(`CPU per SSO flow (authorize + token), this process: ${((user + system) / 1000 / FLOWS).toFixed(2)} ms`);
  // The requests of each kind of flow, for bench/cost.ts.
  const flows = {
    code: ['authorize', 'login page', 'login POST', 'consent page', 'consent POST', 'token'],
    sso: ['SSO authorize', 'token'],
    client_credentials: ['client_credentials'],
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-results', 'calls.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), runs: FLOWS, steps, flows }, null, 2)}\n`);
  console.log(`written: ${out}`);
} finally {
  await db.stop();
}

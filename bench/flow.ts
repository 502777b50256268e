// Benchmark: complete code flows through the real handler modules against DynamoDB Local, with AWS calls counted per step.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, dynamoStores } from '../lambdas/adapters/dynamodb/stores.js';
import { createTable } from '../lambdas/adapters/dynamodb/table.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { RemoteJwks } from '../lambdas/adapters/http/remote-jwks.js';
import { LocalSigner } from '../lambdas/adapters/key-file/signer.js';
import { hashPassword, newId } from '../lambdas/core/crypto.js';
import type { Signer } from '../lambdas/core/ports/signing.js';
import { defaultSettings, type Workspace } from '../lambdas/core/workspace.js';
import { Agent, hiddenField } from '../test/support/agent.js';
import { CallRecorder } from '../test/support/aws-calls.js';

const FLOWS = Number(process.env.FLOWS ?? 40);
process.env.AUTHZ_LOG = 'off';

const calls = new Map<string, number>();
let signatures = 0;
const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);

const db = await startDynamoDbLocal();
try {
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // Sequential round trips per request: DynamoDB calls and signatures on one timeline.
  const recorder = new CallRecorder();
  recorder.watch(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      count(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  await createTable(client, 'bench');
  const { directory, ...stores } = dynamoStores({ client: createDocumentClient(client), tableName: 'bench' });
  const local = await LocalSigner.load({ file: join(mkdtempSync(join(tmpdir(), 'bench-')), 'rs256.pem') });
  const signer: Signer = {
    alg: local.alg,
    publicJwk: () => local.publicJwk(),
    sign: (i) => (signatures++, local.sign(i)),
  };
  const timed = recorder.gatedSigner(signer);
  const ws: Workspace = {
    tenantId: 'bench',
    workspaceId: 'main',
    issuer: 'https://auth.example.com/bench/main',
    settings: defaultSettings,
    ...stores,
    keys: { active: timed, all: [timed] },
    clock: { now: () => Date.now() },
    audit: { emit: () => {} },
    clientKeys: new RemoteJwks(),
  };
  await directory.putClient({
    clientId: 'spa',
    tokenEndpointAuthMethod: 'none',
    redirectUris: ['https://spa.example.com/cb'],
    grantTypes: ['authorization_code'],
    scopes: ['openid', 'profile', 'email'],
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

  type Step = 'authorize' | 'consent GET' | 'login POST' | 'consent POST' | 'token' | 'SSO authorize';
  const perStep = new Map<Step, Map<string, number>>();
  const timeOf = new Map<Step, number>();
  const roundTripsOf = new Map<Step, number>();
  async function step<T>(name: Step, fn: () => Promise<T>): Promise<T> {
    const before = new Map(calls);
    const started = performance.now();
    const out = await recorder.during(fn);
    timeOf.set(name, (timeOf.get(name) ?? 0) + performance.now() - started);
    roundTripsOf.set(name, (roundTripsOf.get(name) ?? 0) + recorder.roundTrips());
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
    const login = await step('consent GET', () => agent.get(start.location!.toString()));
    const form = { txn: hiddenField(login.body, 'txn'), csrf: hiddenField(login.body, 'csrf') };
    const afterLogin = await step('login POST', () =>
      agent.post('consent', { form: { ...form, username: `user${i}`, password: 'bench-password-123' } }),
    );
    const consent = await agent.get(afterLogin.location!.toString());
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

  const runs: Record<Step, number> = {
    authorize: FLOWS,
    'consent GET': FLOWS,
    'login POST': FLOWS,
    'consent POST': FLOWS,
    token: 2 * FLOWS,
    'SSO authorize': FLOWS,
  };
  console.log(`flows: ${FLOWS} full (login + consent) and ${FLOWS} SSO, sequential, one process, DynamoDB Local`);
  console.log(
    `full flow: ${(FLOWS / (fullMs / 1000)).toFixed(1)} flows/s; SSO flow: ${(FLOWS / (ssoMs / 1000)).toFixed(1)} flows/s; SSO/full time ratio ${(ssoMs / fullMs).toFixed(2)}`,
  );
  console.log('step            ms/op   round trips   DynamoDB calls per op');
  for (const [name, m] of perStep) {
    const n = runs[name];
    const detail =
      [...m]
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${(v / n).toFixed(2)}`)
        .join(', ') || 'none';
    const trips = ((roundTripsOf.get(name) ?? 0) / n).toFixed(2).padStart(11);
    console.log(`${name.padEnd(15)} ${((timeOf.get(name) ?? 0) / n).toFixed(1).padStart(6)}   ${trips}   ${detail}`);
  }
  // This process only: the handlers, their SDK clients and the test agent; DynamoDB Local runs in its own.
  console.log(`CPU per SSO flow (authorize + token), this process: ${((user + system) / 1000 / FLOWS).toFixed(2)} ms`);
  console.log(`signatures per token response: ${(signatures / (2 * FLOWS)).toFixed(2)}`);
} finally {
  await db.stop();
}

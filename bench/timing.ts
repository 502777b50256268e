// Timing of client secret verification: a right secret, a wrong one differing in its first byte, one differing in
// its last byte, and an unknown client id. Reports medians and their ratios to the right secret, no pass or fail:
// timing on a shared machine is evidence to read, not an assertion to run in a test.
//   npm run timing            (ROUNDS, CALLS to scale)
import { LOCAL_CREDENTIALS } from '../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../lambdas/adapters/aws/dynamodb.js';
import { authenticateClient } from '../lambdas/core/client-auth/client-auth.js';
import { secretMatches } from '../lambdas/core/client-auth/secret.js';
import { hashClientSecret, randomValues } from '../lambdas/core/crypto.js';
import type { CoreRequest } from '../lambdas/core/http.js';
import type { ClientRecord } from '../lambdas/core/model.js';
import { defaultSettings } from '../lambdas/core/workspace.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { benchWorkspace } from './workspace.js';

process.env.AUTHZ_LOG = 'off';
/** Rounds of the in-memory comparison, each timing every case once over CALLS calls, cases interleaved. */
const ROUNDS = Number(process.env.ROUNDS ?? 200);
const CALLS = Number(process.env.CALLS ?? 2000);
/** Requests per case through `authenticateClient` against DynamoDB Local. */
const REQUESTS = Number(process.env.REQUESTS ?? 300);

const secret = randomValues.clientSecret();
const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
const cases = {
  'right secret': { clientId: 'machine', secret },
  'wrong first byte': { clientId: 'machine', secret: flip(secret, 0) },
  'wrong last byte': { clientId: 'machine', secret: flip(secret, secret.length - 1) },
  'unknown client id': { clientId: 'nobody', secret },
} as const;
type Case = keyof typeof cases;

/** One list of timings per case. */
const emptySamples = (): Record<Case, number[]> => ({
  'right secret': [],
  'wrong first byte': [],
  'wrong last byte': [],
  'unknown client id': [],
});

const client: ClientRecord = {
  clientId: 'machine',
  clientName: 'Machine',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: [],
  grantTypes: ['client_credentials'],
  scopes: [],
  secretHash: hashClientSecret(secret),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function report(title: string, unit: string, samples: Record<Case, number[]>) {
  const base = median(samples['right secret']);
  console.log(`\n${title}`);
  console.log(`${'case'.padEnd(20)} ${`median ${unit}`.padStart(14)} ${'ratio'.padStart(8)}`);
  for (const name of Object.keys(cases) as Case[]) {
    const m = median(samples[name]);
    console.log(
      `${name.padEnd(20)} ${m.toFixed(unit === 'ns' ? 0 : 3).padStart(14)} ${(m / base).toFixed(3).padStart(8)}`,
    );
  }
}

// 1. The comparison alone: what `authenticateClient` runs for every secret, known client or not.
{
  const samples = emptySamples();
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(cases) as Case[]) {
      const c = cases[name];
      const record = c.clientId === client.clientId ? client : undefined;
      const start = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) if (secretMatches(c.secret, record)) sink++;
      samples[name].push(Number(process.hrtime.bigint() - start) / CALLS);
    }
  }
  if (sink !== ROUNDS * CALLS) throw new Error('the right secret did not match every time');
  report(`secretMatches, ${ROUNDS} rounds × ${CALLS} calls (per call)`, 'ns', samples);
}

// 2. The whole client authentication against DynamoDB Local, client cache on (60 s), as a warm container runs it.
const db = await startDynamoDbLocal();
try {
  const dynamo = DynamoDb.create({ endpoint: db.endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  const { ws, directory } = await benchWorkspace('timing', dynamo, {
    // No lockout during the measurement: every wrong secret is compared and counted.
    settings: { ...defaultSettings, maxClientAuthFailures: Number.MAX_SAFE_INTEGER },
  });
  await directory.putClient(client);
  const request = (c: { clientId: string; secret: string }): CoreRequest => ({
    method: 'POST',
    path: '/oauth2/token',
    query: {},
    headers: {
      authorization: `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
    sourceIp: '127.0.0.1',
    secure: true,
  });
  const samples = emptySamples();
  for (let i = 0; i < REQUESTS + 20; i++) {
    for (const name of Object.keys(cases) as Case[]) {
      const start = process.hrtime.bigint();
      await authenticateClient(request(cases[name]), {}, ws).catch(() => undefined);
      // The first requests warm the cache, the connections and the JIT.
      if (i >= 20) samples[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  report(`authenticateClient against DynamoDB Local, ${REQUESTS} requests per case`, 'ms', samples);
} finally {
  await db.stop();
}

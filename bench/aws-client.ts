// Benchmark: this process's CPU per DynamoDB call, the lean client (lambdas/adapters/aws) against the AWS SDK v3
// (`@aws-sdk/lib-dynamodb` on `@aws-sdk/client-dynamodb`, the clients the Lambdas used before), on the same DynamoDB
// Local, the same items and the same calls, interleaved in rounds so machine noise falls on both alike.
// `npm run bench:client [rounds] [callsPerRound]`; writes bench-results/aws-client.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS } from '../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../lambdas/adapters/aws/dynamodb.js';
import { createTable } from '../lambdas/adapters/dynamodb/table.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';

const rounds = Number(process.argv[2] ?? 10);
const perRound = Number(process.argv[3] ?? 300);
const TABLE = 'bench-client';

const record = (i: number) => ({
  pk: `CODE#${i % 50}`,
  clientId: 'web-app',
  sub: 'user-1',
  scopes: ['openid', 'profile', 'offline_access'],
  redirectUri: 'https://app.example.com/callback',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  authTime: 1_764_460_800,
  expiresAt: 1_764_461_400,
  ttl: 1_764_461_400,
  nonce: undefined,
});

/** The inputs both sides send, so they make the very same calls. */
const getInput = (i: number) => ({ TableName: TABLE, Key: { pk: `CODE#${i % 50}` }, ConsistentRead: true });
const putInput = (i: number) => ({ TableName: TABLE, Item: record(i) });
/** A code consumed and a grant written, as the token endpoint does. */
const transactInput = (i: number) => ({
  TransactItems: [
    { Put: { TableName: TABLE, Item: { ...record(i), pk: `GRANT#${i}` } } },
    {
      Update: {
        TableName: TABLE,
        Key: { pk: `CODE#${i % 50}` },
        UpdateExpression: 'SET consumedAt = :now',
        ExpressionAttributeValues: { ':now': i },
      },
    },
  ],
});

interface Api {
  get(i: number): Promise<unknown>;
  put(i: number): Promise<unknown>;
  transact(i: number): Promise<unknown>;
}

function lean(endpoint: string): Api {
  const db = DynamoDb.create({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  return {
    get: (i) => db.get(getInput(i)),
    put: (i) => db.put(putInput(i)),
    transact: (i) => db.transactWrite(transactInput(i)),
  };
}

function sdk(endpoint: string): Api {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    get: (i) => doc.send(new GetCommand(getInput(i))),
    put: (i) => doc.send(new PutCommand(putInput(i))),
    transact: (i) => doc.send(new TransactWriteCommand(transactInput(i))),
  };
}

/** CPU microseconds of this process per call, over `perRound` sequential calls of `op`. */
async function cpuPerCall(op: (i: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < perRound; i++) await op(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / perRound;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const local = await startDynamoDbLocal();
try {
  await createTable(
    DynamoDb.create({ endpoint: local.endpoint, region: 'local', credentials: LOCAL_CREDENTIALS }),
    TABLE,
  );
  const sides = { lean: lean(local.endpoint), sdk: sdk(local.endpoint) };
  const ops = ['get', 'put', 'transact'] as const;
  // Warm-up: JIT, sockets, DynamoDB Local's own warm-up.
  for (const side of Object.values(sides)) for (const op of ops) for (let i = 0; i < 200; i++) await side[op](i);

  const samples: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const op of ops) {
      // Alternate which side goes first, so neither always runs on a warmer machine.
      const order = r % 2 === 0 ? (['lean', 'sdk'] as const) : (['sdk', 'lean'] as const);
      for (const name of order) (samples[`${name} ${op}`] ??= []).push(await cpuPerCall(sides[name][op]));
    }
  }
  const report: Record<string, { leanUs: number; sdkUs: number; ratio: number }> = {};
  console.log(`CPU of this process per call, µs (median of ${rounds} rounds × ${perRound} calls)`);
  console.log('operation            lean      SDK   lean/SDK');
  for (const op of ops) {
    const leanUs = median(samples[`lean ${op}`]!);
    const sdkUs = median(samples[`sdk ${op}`]!);
    report[op] = { leanUs, sdkUs, ratio: leanUs / sdkUs };
    console.log(
      `${op.padEnd(16)} ${leanUs.toFixed(0).padStart(8)} ${sdkUs.toFixed(0).padStart(8)}   ${(leanUs / sdkUs).toFixed(2)}×`,
    );
  }
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    'bench-results/aws-client.json',
    JSON.stringify({ node: process.version, rounds, perRound, report }, null, 2),
  );
} finally {
  await local.stop();
}

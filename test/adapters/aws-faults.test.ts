// The deployed clients' limits: a DynamoDB or KMS endpoint that accepts connections and never answers ends in
// temporarily_unavailable, not in the function's timeout.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asServiceFailure, isTransientFault } from '../../lambdas/adapters/aws-faults.js';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../../lambdas/adapters/aws/dynamodb.js';
import { AwsServiceError, AwsTimeoutError, serviceErrorOf } from '../../lambdas/adapters/aws/errors.js';
import { AWS_CLIENT_LIMITS, AwsJsonClient, DYNAMODB, KMS } from '../../lambdas/adapters/aws/json-client.js';
import { countFailedCalls } from '../../lambdas/adapters/aws-errors.js';
import { RequestRecord, withinRequest } from '../../lambdas/adapters/request-context.js';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';

let silent: Server;
let endpoint: string;
const sockets: Socket[] = [];
beforeAll(async () => {
  silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

// The clients as deployed (AWS_CLIENT_LIMITS, the default), pointed at the silent endpoint.
const local = { region: 'local', credentials: LOCAL_CREDENTIALS };
const unavailable = { error: 'temporarily_unavailable', status: 503, headers: { 'retry-after': '1' } };

it('bounds every call: a few attempts, each with a connection and a request timeout', () => {
  expect(AWS_CLIENT_LIMITS.maxAttempts).toBe(3);
  expect(AWS_CLIENT_LIMITS.connectionTimeoutMs).toBeGreaterThan(0);
  expect(AWS_CLIENT_LIMITS.requestTimeoutMs).toBeGreaterThan(0);
  // Every attempt a call starts must be able to end within its budget, well inside the function's 10 s.
  expect(AWS_CLIENT_LIMITS.callBudgetMs).toBeLessThanOrEqual(6_000);
});

it.concurrent('gives up on a table that never answers with temporarily_unavailable', { timeout: 20_000 }, async () => {
  const db = DynamoDb.create({ ...local, endpoint });
  const stores = dynamoStores({ client: db, tableName: 'silent' });
  let calls = 0;
  db.client.use(async (call, next) => {
    calls++;
    return next(call);
  });

  await expect(stores.interactions.getTransaction('t', 0)).rejects.toMatchObject(unavailable);
  // One call, its attempts spent inside it.
  expect(calls).toBe(1);
});

it.concurrent('gives up on a KMS that never answers with temporarily_unavailable', { timeout: 20_000 }, async () => {
  const client = new AwsJsonClient({ service: KMS, ...local, endpoint });
  const signer = new KmsSigner({ client, keyId: 'k', alg: 'ES256' });

  await expect(signer.sign(new Uint8Array([1]))).rejects.toMatchObject(unavailable);
});

it('tells failures that pass from those that need the operator', () => {
  const named = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, ...extra });
  for (const e of [
    named('ProvisionedThroughputExceededException'),
    named('ThrottlingException'),
    named('TimeoutError'),
    named('Error', { code: 'EPIPE' }),
    named('Error', { code: 'EHOSTUNREACH' }),
    serviceErrorOf(400, { __type: 'com.amazonaws.dynamodb.v20120810#TransactionInProgressException' }, undefined),
    serviceErrorOf(429, { __type: 'SomethingNew' }, undefined),
    named('KMSInternalException'),
    named('InternalServerError', { $fault: 'server' }),
    named('Error', { code: 'ECONNRESET' }),
    named('TransactionCanceledException', { CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }] }),
    // As the lean clients raise them.
    new AwsTimeoutError('no answer within 2000 ms'),
    serviceErrorOf(
      400,
      { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' },
      undefined,
    ),
    serviceErrorOf(503, {}, undefined),
    serviceErrorOf(500, { __type: 'com.amazonaws.kms#KMSInternalException' }, undefined),
    serviceErrorOf(
      400,
      { __type: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ThrottlingError' }] },
      undefined,
    ),
  ])
    expect(isTransientFault(e), e.name).toBe(true);
  for (const e of [
    named('ResourceNotFoundException', { $fault: 'client' }),
    named('AccessDeniedException', { $fault: 'client' }),
    named('DisabledException', { $fault: 'client' }),
    named('KMSInvalidStateException', { $fault: 'client' }),
    named('ValidationException', { $fault: 'client' }),
    named('TransactionCanceledException', { CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] }),
    new TypeError('x is not a function'),
    new AwsServiceError({ name: 'AccessDeniedException', statusCode: 400 }),
    serviceErrorOf(400, { __type: 'com.amazonaws.kms#DisabledException' }, undefined),
    serviceErrorOf(
      400,
      { __type: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] },
      undefined,
    ),
  ])
    expect(isTransientFault(e), e.name).toBe(false);
});

it('names a failure that passes by its error name, or a socket error by its code and never its message', () => {
  const reset = Object.assign(new Error('read ECONNRESET 10.0.0.7:443'), { code: 'ECONNRESET' });
  expect(asServiceFailure('DynamoDB', reset)).toMatchObject({
    error: 'temporarily_unavailable',
    status: 503,
    detail: 'DynamoDB: ECONNRESET',
  });
  expect(asServiceFailure('KMS', new AwsTimeoutError('no answer within 2000 ms'))).toMatchObject({
    detail: 'KMS: TimeoutError',
  });
  const refused = new AwsServiceError({ name: 'AccessDeniedException', statusCode: 400 });
  expect(asServiceFailure('KMS', refused)).toBe(refused);
});

it('counts a cancelled transaction as a failed call only when a reason is not a condition, conflict or none', async () => {
  // GIVEN: a client whose calls are answered (without sending) by the cancellation under test, failures counted
  const cancelled = (...codes: string[]) =>
    serviceErrorOf(
      400,
      {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        CancellationReasons: codes.map((Code) => ({ Code })),
      },
      undefined,
    );
  const countedFor = async (err: Error) => {
    const client = countFailedCalls(new AwsJsonClient({ service: DYNAMODB, region: 'local' }));
    client.use(async () => {
      throw err;
    });
    const record = new RequestRecord('r');
    await withinRequest(record, () => client.send('TransactWriteItems', {}).catch(() => undefined));
    return record.counts.dynamoDbErrors;
  };

  // THEN
  expect(await countedFor(cancelled('ConditionalCheckFailed', 'None'))).toBe(0);
  expect(await countedFor(cancelled('TransactionConflict', 'None'))).toBe(0);
  expect(await countedFor(cancelled('None', 'ThrottlingError'))).toBe(1);
  expect(await countedFor(cancelled('ValidationError'))).toBe(1);
  expect(await countedFor(new AwsServiceError({ name: 'ConditionalCheckFailedException', statusCode: 400 }))).toBe(0);
});

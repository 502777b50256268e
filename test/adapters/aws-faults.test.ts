// The deployed SDK clients' limits: a DynamoDB or KMS endpoint that accepts connections and never answers ends in
// temporarily_unavailable, not in the function's timeout.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AWS_CLIENT_LIMITS, isTransientFault } from '../../lambdas/adapters/aws-faults.js';
import { createDocumentClient, dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
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

const local = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const unavailable = { error: 'temporarily_unavailable', status: 503, headers: { 'retry-after': '1' } };

it.concurrent('gives up on a table that never answers with temporarily_unavailable', { timeout: 20_000 }, async () => {
  const client = new DynamoDBClient({ ...AWS_CLIENT_LIMITS, ...local, endpoint });
  const stores = dynamoStores({ client: createDocumentClient(client), tableName: 'silent' });

  await expect(stores.interactions.getTransaction('t', 0)).rejects.toMatchObject(unavailable);
  client.destroy();
});

it.concurrent('gives up on a KMS that never answers with temporarily_unavailable', { timeout: 20_000 }, async () => {
  const client = new KMSClient({ ...AWS_CLIENT_LIMITS, ...local, endpoint });
  const signer = new KmsSigner({ client, keyId: 'k', alg: 'ES256' });

  await expect(signer.sign(new Uint8Array([1]))).rejects.toMatchObject(unavailable);
  client.destroy();
});

it('tells failures that pass from those that need the operator', () => {
  const named = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, ...extra });
  for (const e of [
    named('ProvisionedThroughputExceededException'),
    named('ThrottlingException'),
    named('TimeoutError'),
    named('AbortError'),
    named('KMSInternalException'),
    named('InternalServerError', { $fault: 'server' }),
    named('Error', { code: 'ECONNRESET' }),
    named('TransactionCanceledException', { CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }] }),
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
  ])
    expect(isTransientFault(e), e.name).toBe(false);
});

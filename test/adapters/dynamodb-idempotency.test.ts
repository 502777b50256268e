// A write whose answer is lost on the way back is retried by the client. A transaction's idempotency token makes
// DynamoDB (Local here) answer the retry as the transaction it already committed; a single-use write recognises its
// own mark on the item. Either way the retry is the write's success, not a refusal of its conditions.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../../lambdas/adapters/aws/dynamodb.js';
import { AwsServiceError } from '../../lambdas/adapters/aws/errors.js';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { AlreadyConsumed } from '../../lambdas/core/errors.js';
import { newTestStore } from '../support/dynamo.js';

/**
 * A proxy to DynamoDB Local that lets the first `operation` reach it and take effect, then drops the connection
 * instead of passing the answer back: what a connection reset after the service answered looks like to a client.
 */
async function losingFirstAnswer(
  target: string,
  operation = 'TransactWriteItems',
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  let lost = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forwarded = request(
        { hostname: upstream.hostname, port: upstream.port, path: '/', method: 'POST', headers: req.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (String(req.headers['x-amz-target']).endsWith(`.${operation}`) && lost++ === 0) {
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers).end(Buffer.concat(body));
          });
        },
      );
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((closed) => server.close(() => closed())),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A code item, and the transaction that consumes it once (as the token endpoint does) and writes its grant. */
async function codeAndItsRedemption() {
  const { db, tableName } = await newTestStore();
  await db.put({ TableName: tableName, Item: { pk: 'CODE#c1', expiresAt: 2_000_000_000 } });
  const redeem = {
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: { pk: 'CODE#c1' },
          UpdateExpression: 'SET consumedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(consumedAt)',
          ExpressionAttributeValues: { ':now': 1 },
        },
      },
      { Put: { TableName: tableName, Item: { pk: 'GRANT#g1', code: 'c1' } } },
    ],
  };
  return { db, tableName, redeem };
}

function viaProxy(endpoint: string): DynamoDb {
  return DynamoDb.create({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
}

it('commits a transaction once when its first answer is lost, and the retry succeeds', async () => {
  // GIVEN
  const { db, tableName, redeem } = await codeAndItsRedemption();
  const proxy = await losingFirstAnswer(inject('dynamoDbEndpoint'));
  closers.push(proxy.close);
  const attempts: string[] = [];
  const client = viaProxy(proxy.endpoint);
  client.client.use(async (call, next) => {
    attempts.push(call.operation);
    return next(call);
  });

  // WHEN
  await client.transactWrite(redeem);

  // THEN: one call (its retry inside the client), committed once
  expect(attempts).toEqual(['TransactWriteItems']);
  expect(await db.get({ TableName: tableName, Key: { pk: 'CODE#c1' }, ConsistentRead: true })).toMatchObject({
    consumedAt: 1,
  });
  expect(await db.get({ TableName: tableName, Key: { pk: 'GRANT#g1' }, ConsistentRead: true })).toEqual({
    pk: 'GRANT#g1',
    code: 'c1',
  });
});

it('without the token, the same retry is refused as if the code had been redeemed by someone else (control)', async () => {
  // GIVEN: the same, with the idempotency token taken off the wire
  const { redeem } = await codeAndItsRedemption();
  const proxy = await losingFirstAnswer(inject('dynamoDbEndpoint'));
  closers.push(proxy.close);
  const client = viaProxy(proxy.endpoint);
  client.client.use(async (call, next) => {
    const { ClientRequestToken: _dropped, ...input } = call.input;
    return next({ ...call, input });
  });

  // WHEN / THEN
  const refused = await client.transactWrite(redeem).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(AwsServiceError);
  expect(refused).toMatchObject({
    name: 'TransactionCanceledException',
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
  });
});

describe('a single-use write whose answer is lost', () => {
  const NOW = 1_900_000_000;

  /** The stores of a fresh table, through a proxy that loses the first answer to `operation`. */
  async function storesLosing(operation: string) {
    const { tableName, stores: direct } = await newTestStore();
    const proxy = await losingFirstAnswer(inject('dynamoDbEndpoint'), operation);
    closers.push(proxy.close);
    return { stores: dynamoStores({ client: viaProxy(proxy.endpoint), tableName }), direct };
  }

  it('consumes once and returns the record: the retry finds its own mark, and a real replay still fails', async () => {
    // GIVEN: a pushed request stored, and its consumption's first answer lost
    const { stores, direct } = await storesLosing('UpdateItem');
    await direct.singleUse.put('par', 'uri-1', { request: { clientId: 'web' } }, NOW + 60);

    // WHEN
    const record = await stores.singleUse.consume('par', 'uri-1', NOW);

    // THEN: the consumption succeeded, and another consumption is the replay it is
    expect(record).toEqual({ request: { clientId: 'web' } });
    await expect(direct.singleUse.consume('par', 'uri-1', NOW)).rejects.toBeInstanceOf(AlreadyConsumed);
  });

  it('writes a mark once (a client assertion jti) when the first answer is lost', async () => {
    const { stores, direct } = await storesLosing('UpdateItem');

    await expect(stores.singleUse.consume('jti', 'client:j-1', NOW, { expiresAt: NOW + 60 })).resolves.toBeUndefined();

    await expect(direct.singleUse.consume('jti', 'client:j-1', NOW, { expiresAt: NOW + 60 })).rejects.toBeInstanceOf(
      AlreadyConsumed,
    );
  });

  it('stores an item once when the answer to its put is lost, and a second put of the id is still refused', async () => {
    const { stores, direct } = await storesLosing('PutItem');

    await stores.singleUse.put('par', 'uri-2', { request: { clientId: 'web' } }, NOW + 60);

    await expect(direct.singleUse.consume('par', 'uri-2', NOW)).resolves.toEqual({ request: { clientId: 'web' } });
    await expect(direct.singleUse.put('par', 'uri-2', {}, NOW + 60)).rejects.toThrow(/already exists/);
  });
});

// Lost races that DynamoDB Local cannot produce (it serializes transactions), injected in front of the real one.
import {
  type DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { beforeEach, expect, it } from 'vitest';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { AlreadyConsumed, ConditionFailed } from '../../lambdas/core/errors.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, issuanceFor, newCode } from './records.js';

/** What DynamoDB answers a transaction that collided with another one in flight on the same item. */
const transactionConflict = () =>
  new TransactionCanceledException({
    message:
      'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]',
    $metadata: {},
    CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
  });

/** Makes the next `times` requests fail with `error()` before they reach DynamoDB Local; counts every request. */
function failNext(client: DynamoDBClient, times: number, error: () => Error): { sent: number } {
  const counter = { sent: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.sent++;
      if (counter.sent <= times) throw error();
      return next(args);
    },
    { step: 'initialize' },
  );
  return counter;
}

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

it('retries a conflicting redemption so a replay is still recognised as one', async () => {
  const { record } = newCode();
  await t.stores.grants.issueCode(record, {}, NOW);
  await t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW);
  const requests = failNext(t.client, 2, transactionConflict);

  const replay = t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW);

  await expect(replay).rejects.toBeInstanceOf(AlreadyConsumed);
  await expect(replay).rejects.toMatchObject({ grantId: record.grantId });
  expect(requests.sent).toBe(3);
});

it('turns a race that keeps being lost into ConditionFailed, never a server error', async () => {
  const { record } = newCode();
  await t.stores.grants.issueCode(record, {}, NOW);
  failNext(t.client, Infinity, transactionConflict);

  await expect(t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW)).rejects.toBeInstanceOf(
    ConditionFailed,
  );
});

const itemConflict = () =>
  new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} });

it('treats a single conditional write that collided with a transaction the same way', async () => {
  failNext(t.client, Infinity, itemConflict);

  await expect(t.stores.interactions.discardTransaction('t', NOW)).rejects.toBeInstanceOf(ConditionFailed);
});

it('answers a write without a condition that keeps colliding with temporarily_unavailable: it lost no race', async () => {
  const requests = failNext(t.client, Infinity, itemConflict);

  await expect(t.stores.grants.revokeGrant('g', NOW)).rejects.toMatchObject({
    error: 'temporarily_unavailable',
    status: 503,
    headers: { 'retry-after': '1' },
  });
  expect(requests.sent).toBe(4);
});

it('answers throttling and timeouts of reads and writes with temporarily_unavailable, other failures unchanged', async () => {
  const { record } = newCode();
  const unavailable = { error: 'temporarily_unavailable', status: 503 };
  const throttled = () =>
    new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the provisioned rate', $metadata: {} });
  const timedOut = () => Object.assign(new Error('Connection timed out after 2000 ms'), { name: 'TimeoutError' });

  failNext(t.client, 1, throttled);
  await expect(t.stores.grants.getCode(record.codeHash)).rejects.toMatchObject(unavailable);
  const other = await newTestStore();
  failNext(other.client, 1, timedOut);
  await expect(other.stores.grants.issueCode(record, {}, NOW)).rejects.toMatchObject(unavailable);
  expect(await other.stores.grants.getCode(record.codeHash)).toBeUndefined();
});

it('lets every other failure through unchanged', async () => {
  const stores = dynamoStores({ client: t.doc, tableName: 'no-such-table' });
  const { record } = newCode();

  await expect(stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW)).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
  await expect(stores.interactions.getTransaction('x', NOW)).rejects.toBeInstanceOf(ResourceNotFoundException);
});

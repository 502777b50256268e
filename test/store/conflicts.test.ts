// Lost races that DynamoDB Local cannot produce (it serializes transactions), injected in front of the real one.
import { beforeEach, expect, it } from 'vitest';
import type { DynamoDb } from '../../lambdas/adapters/aws/dynamodb.js';
import { AwsServiceError, AwsTimeoutError, serviceErrorOf } from '../../lambdas/adapters/aws/errors.js';
import { dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { AlreadyConsumed, ConditionFailed } from '../../lambdas/core/errors.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, issuanceFor, newCode } from './records.js';

/** The error the client raises for DynamoDB's error answer `body` (status 400), built as from the wire. */
const answered = (body: Record<string, unknown>) => serviceErrorOf(400, body, undefined);

/** What DynamoDB answers a transaction that collided with another one in flight on the same item. */
const transactionConflict = () =>
  answered({
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    Message:
      'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]',
    CancellationReasons: [
      { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
      { Code: 'None' },
    ],
  });

/**
 * Makes the next `times` calls fail with `error()` before they reach DynamoDB Local; counts every call. The
 * interceptor is outside the client's retries, so the error is what a call raises once they are spent.
 */
function failNext(db: DynamoDb, times: number, error: () => Error): { sent: number } {
  const counter = { sent: 0 };
  db.client.use(async (call, next) => {
    counter.sent++;
    if (counter.sent <= times) throw error();
    return next(call);
  });
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
  const requests = failNext(t.db, 2, transactionConflict);

  const replay = t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW);

  await expect(replay).rejects.toBeInstanceOf(AlreadyConsumed);
  await expect(replay).rejects.toMatchObject({ grantId: record.grantId });
  expect(requests.sent).toBe(3);
});

it('turns a race that keeps being lost into ConditionFailed, never a server error', async () => {
  const { record } = newCode();
  await t.stores.grants.issueCode(record, {}, NOW);
  failNext(t.db, Infinity, transactionConflict);

  await expect(t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW)).rejects.toBeInstanceOf(
    ConditionFailed,
  );
});

/** What DynamoDB answers a single write to an item a transaction in flight holds. */
const itemConflict = () =>
  answered({
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException',
    Message: 'Transaction is ongoing for the item',
  });

it('treats a single conditional write that collided with a transaction the same way', async () => {
  failNext(t.db, Infinity, itemConflict);

  await expect(t.stores.interactions.discardTransaction('t', NOW)).rejects.toBeInstanceOf(ConditionFailed);
});

it('answers a write without a condition that keeps colliding with temporarily_unavailable: it lost no race', async () => {
  const requests = failNext(t.db, Infinity, itemConflict);

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
    answered({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      Message: 'The level of configured provisioned throughput for the table was exceeded.',
    });
  const timedOut = () => new AwsTimeoutError('no answer within 2000 ms');

  failNext(t.db, 1, throttled);
  await expect(t.stores.grants.getCode(record.codeHash)).rejects.toMatchObject(unavailable);
  const other = await newTestStore();
  failNext(other.db, 1, timedOut);
  await expect(other.stores.grants.issueCode(record, {}, NOW)).rejects.toMatchObject(unavailable);
  expect(await other.stores.grants.getCode(record.codeHash)).toBeUndefined();
});

it('lets every other failure through unchanged', async () => {
  const stores = dynamoStores({ client: t.db, tableName: 'no-such-table' });
  const { record } = newCode();
  const notFound = { name: 'ResourceNotFoundException', statusCode: 400, $fault: 'client' };

  const redemption = stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW);
  await expect(redemption).rejects.toBeInstanceOf(AwsServiceError);
  await expect(redemption).rejects.toMatchObject(notFound);
  const read = stores.interactions.getTransaction('x', NOW);
  await expect(read).rejects.toBeInstanceOf(AwsServiceError);
  await expect(read).rejects.toMatchObject(notFound);
});

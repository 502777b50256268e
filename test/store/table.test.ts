// Table creation against DynamoDB Local: the key schema and TTL the store relies on, created idempotently.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { createTable } from '../../lambdas/adapters/dynamodb/table.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../lambdas/adapters/dynamodb/table-contract.js';
import { newTestStore } from '../support/dynamo.js';

it('creates an on-demand table keyed by pk with TTL on ttl, and accepts being run again', async () => {
  const { db, doc, tableName } = await newTestStore();

  await createTable(db, tableName);

  // Read back by the SDK's client, independently of the client that created it.
  const { Table } = await doc.send(new DescribeTableCommand({ TableName: tableName }));
  expect(Table?.KeySchema).toEqual([{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }]);
  expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  const ttl = await doc.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: TTL_ATTRIBUTE });
});

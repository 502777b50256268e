// The creation of a workspace table (shape in table-contract.ts) for local runs and tests.
import type { DynamoDb } from '../aws/dynamodb.js';
import { AwsServiceError } from '../aws/errors.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './table-contract.js';

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Waits until the table is ACTIVE, for at most `seconds`. */
async function untilActive(db: DynamoDb, tableName: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const { Table } = (await db.client.send('DescribeTable', { TableName: tableName })) as {
      Table?: { TableStatus?: string };
    };
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} is not active after ${seconds} s.`);
    await pause(500);
  }
}

/** Creates an on-demand workspace table with TTL enabled and waits until it is usable; an existing table is fine. */
export async function createTable(db: DynamoDb, tableName: string): Promise<void> {
  try {
    await db.client.send('CreateTable', {
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  } catch (err) {
    if (!(err instanceof AwsServiceError && err.name === 'ResourceInUseException')) throw err;
  }
  await untilActive(db, tableName, 60);

  const ttl = (await db.client.send('DescribeTimeToLive', { TableName: tableName })) as {
    TimeToLiveDescription?: { TimeToLiveStatus?: string };
  };
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  // Enabling twice is a ValidationException, so only a table without TTL gets it switched on.
  if (status !== 'ENABLED' && status !== 'ENABLING') {
    await db.client.send('UpdateTimeToLive', {
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  }
}

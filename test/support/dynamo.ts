// Gives a test its own DynamoDB stores on a fresh table in the run's DynamoDB Local.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../../lambdas/adapters/aws/dynamodb.js';
import { type DynamoAdapterOptions, dynamoStores } from '../../lambdas/adapters/dynamodb/stores.js';
import { createTable } from '../../lambdas/adapters/dynamodb/table.js';
import type { Stores } from '../../lambdas/core/ports/storage.js';

export interface TestStore {
  readonly stores: Stores;
  readonly tableName: string;
  /** The client the stores use (the one the Lambdas use): tests add interceptors to it to count or fail calls. */
  readonly db: DynamoDb;
  /** The AWS SDK's document client on the same table, for reading and writing raw items behind the stores' back. */
  readonly doc: DynamoDBDocumentClient;
}

/** A client of the run's DynamoDB Local, as the Lambdas' (the local credentials aside). */
export function localDynamoDb(): DynamoDb {
  return DynamoDb.create({ endpoint: inject('dynamoDbEndpoint'), region: 'local', credentials: LOCAL_CREDENTIALS });
}

/** The AWS SDK's document client on the run's DynamoDB Local: an independent reader and writer of raw items. */
export function sdkDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: inject('dynamoDbEndpoint'),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * Creates a uniquely named table (so tests never see each other's data and may run in parallel) and the
 * stores on it. Call it in `beforeAll`/`beforeEach` or at the start of a test; the tables vanish with
 * DynamoDB Local at the end of the run. `opts` go to `dynamoStores`.
 */
export async function newTestStore(opts: Omit<DynamoAdapterOptions, 'client' | 'tableName'> = {}): Promise<TestStore> {
  const db = localDynamoDb();
  const tableName = `test-${randomUUID()}`;
  await createTable(db, tableName);
  return { stores: dynamoStores({ ...opts, client: db, tableName }), tableName, db, doc: sdkDocumentClient() };
}

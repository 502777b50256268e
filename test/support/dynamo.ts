// Gives a test its own DynamoDB stores on a fresh table in the run's DynamoDB Local.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import {
  type DynamoAdapterOptions,
  createDocumentClient,
  dynamoStores,
} from '../../lambdas/adapters/dynamodb/stores.js';
import { createTable } from '../../lambdas/adapters/dynamodb/table.js';
import type { Stores } from '../../lambdas/core/ports/storage.js';

export interface TestStore {
  readonly stores: Stores;
  readonly tableName: string;
  /** For reading and writing raw items behind the stores' back. */
  readonly doc: DynamoDBDocumentClient;
  readonly client: DynamoDBClient;
}

/**
 * Creates a uniquely named table (so tests never see each other's data and may run in parallel) and the
 * stores on it. Call it in `beforeAll`/`beforeEach` or at the start of a test; the tables vanish with
 * DynamoDB Local at the end of the run. `opts` go to `dynamoStores`.
 */
export async function newTestStore(opts: Omit<DynamoAdapterOptions, 'client' | 'tableName'> = {}): Promise<TestStore> {
  const client = new DynamoDBClient({
    endpoint: inject('dynamoDbEndpoint'),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = `test-${randomUUID()}`;
  await createTable(client, tableName);
  const doc = createDocumentClient(client);
  return { stores: dynamoStores({ ...opts, client: doc, tableName }), tableName, doc, client };
}

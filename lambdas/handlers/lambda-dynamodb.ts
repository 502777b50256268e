// The DynamoDB storage of a deployed Lambda: imported by the handler modules whose endpoints use the table.
import { DynamoDb } from '../adapters/aws/dynamodb.js';
import { countFailedCalls } from '../adapters/aws-errors.js';
import { dynamoStores } from '../adapters/dynamodb/stores.js';
import type { RuntimeStores } from '../core/ports/storage.js';

let client: DynamoDb | undefined;

/**
 * The storage ports on `tableName`, for `workspaceFromEnvironment`, client records cached for `clientCacheSeconds`
 * (the workspace's `clientCacheTtl`). One client per container, created on first use (region, credentials and
 * `AWS_ENDPOINT_URL_DYNAMODB` from the environment); its failed calls count towards the request's DynamoDbErrors.
 */
export function dynamoDbStorage(tableName: string, clientCacheSeconds: number): RuntimeStores {
  client ??= new DynamoDb(countFailedCalls(DynamoDb.create().client));
  // The directory is for the admin tooling only: the endpoints get the runtime ports and nothing else.
  const { directory: _adminOnly, ...stores } = dynamoStores({ client, tableName, clientCacheSeconds });
  return stores;
}

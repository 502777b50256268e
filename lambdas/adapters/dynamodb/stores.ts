// The DynamoDB storage adapter of one workspace table: every storage port, built together by `dynamoStores`.
import type { DynamoDb } from '../aws/dynamodb.js';
import { type Clock, systemClock } from '../../core/ports/clock.js';
import type { Stores } from '../../core/ports/storage.js';
import { type ClientCache, DynamoClientStore } from './clients.js';
import { DynamoDirectory } from './directory.js';
import { DynamoGrantStore } from './grants.js';
import { DynamoInteractionStore } from './interactions.js';
import { Table } from './items.js';
import { DynamoSingleUse } from './single-use.js';
import { DynamoLoginThrottle } from './throttle.js';
import { DynamoIdentitySource, DynamoLinkedUsers } from './users.js';

export interface DynamoAdapterOptions {
  /** The table's DynamoDB client (lambdas/adapters/aws): records' `undefined` fields are not stored. */
  readonly client: DynamoDb;
  readonly tableName: string;
  /** How long this container serves a client record from memory, seconds. @default 60 */
  readonly clientCacheSeconds?: number;
  /** Time source of the client cache only; record expiry always uses the `now` the caller passes. @default systemClock */
  readonly clock?: Clock;
}

/** Every storage port on one table; `clients` and `directory` share one client cache, so the directory's writes are seen at once. */
export function dynamoStores(opts: DynamoAdapterOptions): Stores {
  const table = new Table(opts.client, opts.tableName);
  const clientCache: ClientCache = new Map();
  return {
    clients: new DynamoClientStore(
      table,
      clientCache,
      (opts.clientCacheSeconds ?? 60) * 1000,
      opts.clock ?? systemClock,
    ),
    interactions: new DynamoInteractionStore(table),
    grants: new DynamoGrantStore(table),
    throttle: new DynamoLoginThrottle(table),
    singleUse: new DynamoSingleUse(table),
    users: new DynamoIdentitySource(table),
    linkedUsers: new DynamoLinkedUsers(table),
    directory: new DynamoDirectory(table, clientCache),
  };
}

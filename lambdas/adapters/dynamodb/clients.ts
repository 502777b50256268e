// The DynamoDB ClientStore: client records as the endpoints read them, cached per container.
import type { ClientRecord } from '../../core/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { ClientStore } from '../../core/ports/storage.js';
import { recordOf, type Table } from './items.js';
import { keys } from './keys.js';

/** This container's copies of client records: filled by the client store, emptied per client by the directory's writes. */
export type ClientCache = Map<string, { record: ClientRecord; until: number }>;

export class DynamoClientStore implements ClientStore {
  constructor(
    private readonly table: Table,
    private readonly cache: ClientCache,
    /** How long a record is served from the cache, milliseconds. */
    private readonly cacheMs: number,
    /** Time source of the cache only. */
    private readonly clock: Clock,
  ) {}

  /**
   * Served from this container's cache for `clientCacheSeconds`. Unknown ids are not cached: random ids
   * would grow the cache without bound, and a freshly synced client would be refused for a while.
   */
  async get(clientId: string): Promise<ClientRecord | undefined> {
    const now = this.clock.now();
    const hit = this.cache.get(clientId);
    if (hit !== undefined && hit.until > now) return hit.record;
    const record = recordOf<ClientRecord>(await this.table.get(keys.client(clientId), false));
    if (record === undefined) this.cache.delete(clientId);
    else this.cache.set(clientId, { record, until: now + this.cacheMs });
    return record;
  }
}

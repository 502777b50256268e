// How the DynamoDB adapter reads and writes items: conditional writes retried past conflicts, failures mapped by item name, the shared condition fragments.
import {
  type ConditionCheckInput,
  type DeleteInput,
  type DynamoDb,
  type Item,
  type PutInput,
  type RawItem,
  type TransactWriteItem,
  type UpdateInput,
} from '../aws/dynamodb.js';
import { AwsServiceError } from '../aws/errors.js';
import { ConditionFailed, TRY_AGAIN, temporarilyUnavailable } from '../../core/errors.js';
import { asServiceFailure, callService } from '../aws-faults.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './table-contract.js';

/** A write that loses a race against a concurrent transaction is retried, so it ends in its condition's verdict. */
const CONFLICT_ATTEMPTS = 4;
/** Rounds of a batch read that DynamoDB answers only in part (throttling) before it counts as failed. */
const BATCH_ATTEMPTS = 5;

export type { Item, RawItem };

/** Turns a failed condition into the error callers see: `name` is the failed item's name in the write. */
export type OnConditionFailed = (name: string, old: RawItem | undefined) => Error;

const plainConditionFailed = () => new ConditionFailed();

export const ITEM_EXISTS = `attribute_exists(${PARTITION_KEY})`;
export const ITEM_ABSENT = `attribute_not_exists(${PARTITION_KEY})`;
/** The condition of every write to an item that must still be live. */
export const ITEM_LIVE = `${ITEM_EXISTS} AND expiresAt > :now`;
/** A single-use item nobody has consumed yet: consuming it sets `consumedAt`. */
export const NOT_CONSUMED = 'attribute_not_exists(consumedAt)';
/** The condition of consuming a single-use item: it exists, is live and was not consumed. */
export const CONSUMABLE = `${ITEM_LIVE} AND ${NOT_CONSUMED}`;

export function expiringItem<T extends { expiresAt: number }>(pk: string, record: T): Item {
  return { ...record, [PARTITION_KEY]: pk, [TTL_ATTRIBUTE]: record.expiresAt };
}

/** Expiry is checked here as well as in conditions: TTL deletion can lag by days, so expired items are still read. */
export function live<T extends { expiresAt: number }>(record: T | undefined, now: number): T | undefined {
  return record !== undefined && record.expiresAt > now ? record : undefined;
}

/** The record stored in an item: the item minus the storage attributes (`pk`, `ttl` and any `internal` ones). */
export function recordOf<T>(item: Item | undefined, ...internal: string[]): T | undefined {
  if (item === undefined) return undefined;
  const record: Item = { ...item };
  for (const name of [PARTITION_KEY, TTL_ATTRIBUTE, ...internal]) delete record[name];
  return record as T;
}

type Part<K extends 'Put' | 'Update' | 'Delete' | 'ConditionCheck'> = Omit<
  { Put: PutInput; Update: UpdateInput; Delete: DeleteInput; ConditionCheck: ConditionCheckInput }[K],
  'TableName'
>;

/** An update of one item, without the table and key. */
export type UpdateSpec = Omit<Part<'Update'>, 'Key'>;

/** One item's write without the table: sent on its own, or as one item of a transaction (a condition check only there). */
export type ItemWrite =
  | { readonly Put: Part<'Put'> }
  | { readonly Update: Part<'Update'> }
  | { readonly Delete: Part<'Delete'> }
  | { readonly ConditionCheck: Part<'ConditionCheck'> };

const keyOf = (pk: string) => ({ [PARTITION_KEY]: pk });

/** Puts `item`, which carries its key; `spec` may add a condition. */
export const putOf = (item: Item, spec: Omit<Part<'Put'>, 'Item'> = {}): ItemWrite => ({
  Put: { ...spec, Item: item },
});
export const updateOf = (pk: string, spec: UpdateSpec): ItemWrite => ({ Update: { ...spec, Key: keyOf(pk) } });
export const deleteOf = (pk: string, spec: Omit<Part<'Delete'>, 'Key'> = {}): ItemWrite => ({
  Delete: { ...spec, Key: keyOf(pk) },
});
/** A condition another item must meet for a transaction to commit; the item is not written. */
export const conditionCheckOf = (pk: string, spec: Omit<Part<'ConditionCheck'>, 'Key'>): ItemWrite => ({
  ConditionCheck: { ...spec, Key: keyOf(pk) },
});

/** The condition an item's write carries, if any. */
function conditionOf(w: ItemWrite): string | undefined {
  if ('Put' in w) return w.Put.ConditionExpression;
  if ('Update' in w) return w.Update.ConditionExpression;
  if ('Delete' in w) return w.Delete.ConditionExpression;
  return w.ConditionCheck.ConditionExpression;
}

/** Which condition failed, if that is why the write was refused. */
function conditionFailure(err: unknown): { index: number; old: RawItem | undefined } | undefined {
  if (!(err instanceof AwsServiceError)) return undefined;
  if (err.name === 'ConditionalCheckFailedException') return { index: 0, old: err.Item as RawItem | undefined };
  if (err.name === 'TransactionCanceledException') {
    const reasons = err.CancellationReasons ?? [];
    const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (index >= 0) return { index, old: reasons[index]?.Item as RawItem | undefined };
  }
  return undefined;
}

/** Whether the write collided with a concurrent transaction on the same items (and nothing else went wrong). */
function isConflict(err: unknown): boolean {
  if (!(err instanceof AwsServiceError)) return false;
  if (err.name === 'TransactionConflictException') return true;
  if (err.name !== 'TransactionCanceledException') return false;
  const reasons = err.CancellationReasons ?? [];
  return (
    reasons.some((r) => r.Code === 'TransactionConflict') &&
    reasons.every((r) => r.Code === 'TransactionConflict' || r.Code === 'None')
  );
}

/** How failures of the table are named in the logs. */
const SERVICE = 'DynamoDB';

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Sends a write. A failed condition becomes the error `onConditionFailed` picks (`index` is the failed item's
 * position in a transaction); a collision with a concurrent transaction is retried, because only the retry can
 * tell whether the other writer consumed the item (e.g. `AlreadyConsumed` for a replayed code). A race that keeps
 * being lost is a `ConditionFailed` for a `conditional` write, like the race it is, never a server error; a write
 * without a condition cannot lose a race, so for it the collisions are contention that passes.
 */
async function write<T>(
  send: () => Promise<T>,
  onConditionFailed: (index: number, old: RawItem | undefined) => Error,
  conditional: boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const failed = conditionFailure(err);
      if (failed !== undefined) throw onConditionFailed(failed.index, failed.old);
      if (!isConflict(err)) throw asServiceFailure(SERVICE, err);
      if (attempt === CONFLICT_ATTEMPTS) {
        if (!conditional) throw temporarilyUnavailable(TRY_AGAIN, `${SERVICE}: conflicts on every attempt`);
        throw new ConditionFailed('lost a race against a concurrent write');
      }
      await pause(attempt * (10 + Math.random() * 40));
    }
  }
}

/** One workspace table, as the stores of each concern read and write it. */
export class Table {
  constructor(
    private readonly db: DynamoDb,
    readonly name: string,
  ) {}

  /** Single-use and just-written items are read strongly consistent; clients and users may lag a little. */
  async get(pk: string, consistent = true): Promise<Item | undefined> {
    const result = await callService(SERVICE, () =>
      this.db.get({ TableName: this.name, Key: keyOf(pk), ConsistentRead: consistent }),
    );
    return result;
  }

  /**
   * Several items in one round trip (BatchGetItem), strongly consistent, by key; missing ones are absent from
   * the map. Keys DynamoDB leaves unprocessed under load are asked for again.
   */
  async getMany(pks: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    let pending: Item[] = [...new Set(pks)].map(keyOf);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_ATTEMPTS)
        throw temporarilyUnavailable(TRY_AGAIN, `${SERVICE}: BatchGetItem left keys unprocessed`);
      if (attempt > 1) await pause(attempt * 20);
      const result = await callService(SERVICE, () =>
        this.db.batchGet({ TableName: this.name, Keys: pending, ConsistentRead: true }),
      );
      for (const item of result.items) found.set(item[PARTITION_KEY] as string, item);
      pending = result.unprocessed;
    }
    return found;
  }

  /** Every record whose key starts with `prefix`. */
  async scan<T>(prefix: string): Promise<T[]> {
    const found = await callService(SERVICE, () =>
      this.db.scanAll({
        TableName: this.name,
        FilterExpression: `begins_with(${PARTITION_KEY}, :prefix)`,
        ExpressionAttributeValues: { ':prefix': prefix },
        ConsistentRead: true,
      }),
    );
    return found.map((item) => recordOf<T>(item) as T);
  }

  /**
   * Writes the named items atomically: one item as a plain request, several as one transaction. A failed
   * condition reaches `onConditionFailed` with the name of the item that failed it.
   */
  async write(
    items: Readonly<Record<string, ItemWrite>>,
    onConditionFailed: OnConditionFailed = plainConditionFailed,
  ): Promise<void> {
    const names = Object.keys(items);
    const writes = Object.values(items);
    const [only] = writes;
    const send = () =>
      writes.length === 1 && only !== undefined && !('ConditionCheck' in only)
        ? this.sendOne(only)
        : this.db.transactWrite({ TransactItems: writes.map((w) => this.withTable(w)) });
    const conditional = writes.some((w) => 'ConditionCheck' in w || conditionOf(w) !== undefined);
    await write<unknown>(send, (index, old) => onConditionFailed(names[index] ?? '', old), conditional);
  }

  /** Updates one item and returns the attributes `ReturnValues` asks for; a failed condition goes to `onConditionFailed`. */
  async update(
    pk: string,
    spec: Omit<UpdateInput, 'TableName' | 'Key'>,
    onConditionFailed: (old: RawItem | undefined) => Error = plainConditionFailed,
  ): Promise<Item | undefined> {
    const send = () => this.db.update({ ...spec, TableName: this.name, Key: keyOf(pk) });
    return write(send, (_, old) => onConditionFailed(old), spec.ConditionExpression !== undefined);
  }

  private sendOne(w: Exclude<ItemWrite, { ConditionCheck: unknown }>): Promise<unknown> {
    if ('Put' in w) return this.db.put({ ...w.Put, TableName: this.name });
    if ('Update' in w) return this.db.update({ ...w.Update, TableName: this.name });
    return this.db.delete({ ...w.Delete, TableName: this.name });
  }

  private withTable(w: ItemWrite): TransactWriteItem {
    if ('Put' in w) return { Put: { ...w.Put, TableName: this.name } };
    if ('Update' in w) return { Update: { ...w.Update, TableName: this.name } };
    if ('ConditionCheck' in w) return { ConditionCheck: { ...w.ConditionCheck, TableName: this.name } };
    return { Delete: { ...w.Delete, TableName: this.name } };
  }
}

// DynamoDB on the lean JSON client: records in and out as plain objects, marshalled here (undefined fields are not
// stored), and the operations the stores, the local run and the tests use.
import { randomUUID } from 'node:crypto';
import { AwsJsonClient, type AwsJsonClientOptions, DYNAMODB } from './json-client.js';

/** A DynamoDB attribute value as it goes on the wire: exactly one of these fields is set. */
export interface AttributeValue {
  S?: string;
  N?: string;
  BOOL?: boolean;
  NULL?: true;
  /** Base64. */
  B?: string;
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
  SS?: string[];
  NS?: string[];
}

export type Item = Record<string, unknown>;
export type RawItem = Record<string, AttributeValue>;

/** `value` as an attribute value; `undefined` is for the caller to leave out. Sets become string or number sets. */
export function marshallValue(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`DynamoDB cannot store the number ${value}`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (value instanceof Uint8Array) return { B: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { L: value.filter((v) => v !== undefined).map(marshallValue) };
  if (value instanceof Set) {
    const members = [...value];
    if (members.length > 0 && members.every((m) => typeof m === 'string')) return { SS: members };
    if (members.length > 0 && members.every((m) => typeof m === 'number'))
      return { NS: members.map((m) => marshallValue(m).N!) };
    throw new TypeError('DynamoDB sets hold strings or numbers, and at least one');
  }
  // Only plain records become maps: a Date, Map or other class instance would be stored as `{}` and lost.
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value)))
    return { M: marshallItem(value as Item) };
  throw new TypeError(`DynamoDB cannot store a ${typeof value}`);
}

/**
 * A record as an item; fields that are `undefined` are left out. Built with `Object.fromEntries` (as is the record
 * read back) so that an attribute named `__proto__` stays an attribute instead of becoming the object's prototype.
 */
export function marshallItem(record: Item): RawItem {
  return Object.fromEntries(
    Object.entries(record)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, marshallValue(value)]),
  );
}

/** An attribute value as a plain value: numbers as JavaScript numbers, binary as bytes, sets as `Set`s. */
export function unmarshallValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.B !== undefined) return new Uint8Array(Buffer.from(value.B, 'base64'));
  if (value.L !== undefined) return value.L.map(unmarshallValue);
  if (value.M !== undefined) return unmarshallItem(value.M);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  throw new TypeError(`Unknown DynamoDB attribute type ${Object.keys(value).join(',')}`);
}

export function unmarshallItem(item: RawItem): Item {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, unmarshallValue(value)]));
}

const items = (list: unknown): Item[] => ((list as RawItem[] | undefined) ?? []).map(unmarshallItem);
const itemOrNone = (item: unknown): Item | undefined =>
  item === undefined ? undefined : unmarshallItem(item as RawItem);

/** Expression fields shared by the writes and the scan. */
export interface Expressions {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Item;
}

export interface PutInput extends Expressions {
  readonly TableName: string;
  readonly Item: Item;
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}
export interface UpdateInput extends Expressions {
  readonly TableName: string;
  readonly Key: Item;
  readonly UpdateExpression: string;
  readonly ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}
export interface DeleteInput extends Expressions {
  readonly TableName: string;
  readonly Key: Item;
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}
export interface ConditionCheckInput extends Expressions {
  readonly TableName: string;
  readonly Key: Item;
  readonly ConditionExpression: string;
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}
export type TransactWriteItem =
  | { readonly Put: PutInput }
  | { readonly Update: UpdateInput }
  | { readonly Delete: DeleteInput }
  | { readonly ConditionCheck: ConditionCheckInput };

/** The marshalled form of a write's record fields; everything else goes as it is. */
function wire<T extends { Item?: Item; Key?: Item; ExpressionAttributeValues?: Item }>(
  input: T,
): Record<string, unknown> {
  const { Item, Key, ExpressionAttributeValues, ...rest } = input;
  return {
    ...rest,
    ...(Item !== undefined && { Item: marshallItem(Item) }),
    ...(Key !== undefined && { Key: marshallItem(Key) }),
    ...(ExpressionAttributeValues !== undefined && {
      ExpressionAttributeValues: marshallItem(ExpressionAttributeValues),
    }),
  };
}

function wireTransactItem(w: TransactWriteItem): Record<string, unknown> {
  if ('Put' in w) return { Put: wire(w.Put) };
  if ('Update' in w) return { Update: wire(w.Update) };
  if ('Delete' in w) return { Delete: wire(w.Delete) };
  return { ConditionCheck: wire(w.ConditionCheck) };
}

/** The DynamoDB operations of this project, on records. A failure is thrown as the client raises it. */
export class DynamoDb {
  constructor(readonly client: AwsJsonClient) {}

  static create(opts: Omit<AwsJsonClientOptions, 'service'> = {}): DynamoDb {
    return new DynamoDb(new AwsJsonClient({ ...opts, service: DYNAMODB }));
  }

  async get(input: { TableName: string; Key: Item; ConsistentRead?: boolean }): Promise<Item | undefined> {
    return itemOrNone((await this.client.send('GetItem', wire(input))).Item);
  }

  /** One round trip of a batch read on one table: the items found, and the keys left unprocessed. */
  async batchGet(input: {
    TableName: string;
    Keys: readonly Item[];
    ConsistentRead?: boolean;
  }): Promise<{ items: Item[]; unprocessed: Item[] }> {
    const result = await this.client.send('BatchGetItem', {
      RequestItems: {
        [input.TableName]: { Keys: input.Keys.map(marshallItem), ConsistentRead: input.ConsistentRead ?? false },
      },
    });
    const responses = result.Responses as Record<string, unknown> | undefined;
    const unprocessed = result.UnprocessedKeys as Record<string, { Keys?: unknown }> | undefined;
    return { items: items(responses?.[input.TableName]), unprocessed: items(unprocessed?.[input.TableName]?.Keys) };
  }

  async put(input: PutInput): Promise<void> {
    await this.client.send('PutItem', wire(input));
  }

  /** Returns the attributes `ReturnValues` asks for. */
  async update(input: UpdateInput): Promise<Item | undefined> {
    return itemOrNone((await this.client.send('UpdateItem', wire(input))).Attributes);
  }

  async delete(input: DeleteInput): Promise<void> {
    await this.client.send('DeleteItem', wire(input));
  }

  /**
   * One transaction. Its idempotency token (as the SDK fills it in) is the same for every attempt of the call, so
   * when an answer is lost and the client retries, DynamoDB answers the retry as the transaction it already
   * committed instead of judging its conditions again (a consumed code would otherwise look replayed).
   */
  async transactWrite(input: { TransactItems: readonly TransactWriteItem[] }): Promise<void> {
    await this.client.send('TransactWriteItems', {
      TransactItems: input.TransactItems.map(wireTransactItem),
      ClientRequestToken: randomUUID(),
    });
  }

  /** Every page of a scan, followed to its end. */
  async scanAll(input: Expressions & { TableName: string; FilterExpression?: string; ConsistentRead?: boolean }) {
    const found: Item[] = [];
    let start: unknown;
    do {
      const page = await this.client.send('Scan', {
        ...wire(input),
        ...(start !== undefined && { ExclusiveStartKey: start }),
      });
      found.push(...items(page.Items));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return found;
  }
}

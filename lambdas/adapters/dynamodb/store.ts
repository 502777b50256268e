// The DynamoDB implementation of the Store and IdentitySource ports, plus the admin operations on clients and users.
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { AlreadyConsumed, ConditionFailed } from '../../core/errors.js';
import type {
  ClientRecord,
  CodeRecord,
  ConsentRecord,
  Issuance,
  SessionRecord,
  TransactionRecord,
  UserRecord,
} from '../../core/model.js';
import { type Clock, systemClock } from '../../core/ports/clock.js';
import type { IdentitySource } from '../../core/ports/identity.js';
import type { Store } from '../../core/ports/storage.js';
import { keys, prefixes } from './keys.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './table-contract.js';

export interface DynamoStoreOptions {
  /** A document client from `createDocumentClient`: records carry optional fields that may be `undefined`. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long this container serves a client record from memory, seconds. @default 60 */
  readonly clientCacheSeconds?: number;
  /** Time source of the client cache only; record expiry always uses the `now` the caller passes. @default systemClock */
  readonly clock?: Clock;
}

/** Changes the admin tooling may make to a user; the username and sub never change. */
export interface UserChanges {
  readonly passwordHash?: string;
  readonly disabled?: boolean;
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Listed rather than taken from the object, so a caller's extra fields can never overwrite others. */
const USER_CHANGES = ['passwordHash', 'disabled', 'claims'] as const satisfies readonly (keyof UserChanges)[];

/** The document client every store must use: optional record fields left `undefined` are simply not stored. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * A consumed code is kept this long past its expiry so that a late replay still finds it, fails with
 * `AlreadyConsumed` and gets the grant revoked, instead of looking like an unknown code.
 */
const CONSUMED_CODE_RETENTION_SECONDS = 86_400;
/**
 * How long a revocation of a not-yet-written grant is remembered. It must outlive every code that could
 * still create the grant; codes live seconds, so a day is ample.
 */
const GRANT_TOMBSTONE_SECONDS = 86_400;
/** A write that loses a race against a concurrent transaction is retried, so it ends in its condition's verdict. */
const CONFLICT_ATTEMPTS = 4;
/** A counter update can lose to a concurrent window start only once per window; more rounds mean a broken clock. */
const COUNTER_ROUNDS = 3;

type Item = Record<string, unknown>;
type RawItem = Record<string, AttributeValue>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/** Turns a failed condition into the error callers see: `index` is the failed item's position in a transaction. */
type OnConditionFailed = (index: number, old: RawItem | undefined) => Error;

const plainConditionFailed: OnConditionFailed = () => new ConditionFailed();

const ITEM_EXISTS = `attribute_exists(${PARTITION_KEY})`;
const ITEM_ABSENT = `attribute_not_exists(${PARTITION_KEY})`;
/** The condition of every write to an item that must still be live. */
const ITEM_LIVE = `${ITEM_EXISTS} AND expiresAt > :now`;

function expiringItem(pk: string, record: { expiresAt: number }): Item {
  return { ...record, [PARTITION_KEY]: pk, [TTL_ATTRIBUTE]: record.expiresAt };
}

/** Expiry is checked here as well as in conditions: TTL deletion can lag by days, so expired items are still read. */
function live<T extends { expiresAt: number }>(record: T | undefined, now: number): T | undefined {
  return record !== undefined && record.expiresAt > now ? record : undefined;
}

/** The record stored in an item: the item minus the storage attributes (`pk`, `ttl` and any `internal` ones). */
function recordOf<T>(item: Item | undefined, ...internal: string[]): T | undefined {
  if (item === undefined) return undefined;
  const record: Item = { ...item };
  for (const name of [PARTITION_KEY, TTL_ATTRIBUTE, ...internal]) delete record[name];
  return record as T;
}

/** Which condition failed, if that is why the write was refused. */
function conditionFailure(err: unknown): { index: number; old: RawItem | undefined } | undefined {
  if (err instanceof ConditionalCheckFailedException) return { index: 0, old: err.Item };
  if (err instanceof TransactionCanceledException) {
    const reasons = err.CancellationReasons ?? [];
    const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (index >= 0) return { index, old: reasons[index]?.Item };
  }
  return undefined;
}

/** Whether the write collided with a concurrent transaction on the same items (and nothing else went wrong). */
function isConflict(err: unknown): boolean {
  if (err instanceof TransactionConflictException) return true;
  if (!(err instanceof TransactionCanceledException)) return false;
  const reasons = err.CancellationReasons ?? [];
  return (
    reasons.some((r) => r.Code === 'TransactionConflict') &&
    reasons.every((r) => r.Code === 'TransactionConflict' || r.Code === 'None')
  );
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

export class DynamoStore implements Store, IdentitySource {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clientCacheMs: number;
  private readonly clock: Clock;
  private readonly clientCache = new Map<string, { record: ClientRecord; until: number }>();

  constructor(opts: DynamoStoreOptions) {
    this.doc = opts.client;
    this.tableName = opts.tableName;
    this.clientCacheMs = (opts.clientCacheSeconds ?? 60) * 1000;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Served from this container's cache for `clientCacheSeconds`. Unknown ids are not cached: random ids
   * would grow the cache without bound, and a freshly synced client would be refused for a while.
   */
  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const now = this.clock.now();
    const hit = this.clientCache.get(clientId);
    if (hit !== undefined && hit.until > now) return hit.record;
    const record = recordOf<ClientRecord>(await this.get(keys.client(clientId), false));
    if (record === undefined) this.clientCache.delete(clientId);
    else this.clientCache.set(clientId, { record, until: now + this.clientCacheMs });
    return record;
  }

  async putTransaction(txn: TransactionRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: expiringItem(keys.transaction(txn.id), txn) }),
    );
  }

  async getTransaction(id: string, now: number): Promise<TransactionRecord | undefined> {
    return live(recordOf<TransactionRecord>(await this.get(keys.transaction(id))), now);
  }

  async recordLogin(txnId: string, session: SessionRecord, now: number): Promise<void> {
    await this.write(() =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { [PARTITION_KEY]: keys.transaction(txnId) },
                UpdateExpression: 'SET #sub = :sub, authTime = :authTime, sessionHash = :sessionHash',
                ConditionExpression: ITEM_LIVE,
                ExpressionAttributeNames: { '#sub': 'sub' },
                ExpressionAttributeValues: {
                  ':sub': session.sub,
                  ':authTime': session.authTime,
                  ':sessionHash': session.idHash,
                  ':now': now,
                },
              },
            },
            // Unconditional: logging in again with the same session cookie simply refreshes the session.
            { Put: { TableName: this.tableName, Item: expiringItem(keys.session(session.idHash), session) } },
          ],
        }),
      ),
    );
  }

  async discardTransaction(txnId: string, now: number): Promise<void> {
    await this.write(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: keys.transaction(txnId) },
          ConditionExpression: ITEM_LIVE,
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  async getSession(idHash: string, now: number): Promise<SessionRecord | undefined> {
    return live(recordOf<SessionRecord>(await this.get(keys.session(idHash))), now);
  }

  async getConsent(sub: string, clientId: string): Promise<ConsentRecord | undefined> {
    return recordOf<ConsentRecord>(await this.get(keys.consent(sub, clientId)));
  }

  async issueCode(
    code: CodeRecord,
    opts: { transactionId?: string; consent?: ConsentRecord },
    now: number,
  ): Promise<void> {
    const putCode = {
      TableName: this.tableName,
      Item: {
        ...code,
        [PARTITION_KEY]: keys.code(code.codeHash),
        [TTL_ATTRIBUTE]: code.expiresAt + CONSUMED_CODE_RETENTION_SECONDS,
      },
      ConditionExpression: ITEM_ABSENT,
    };
    const items: TransactItem[] = [{ Put: putCode }];
    if (opts.transactionId !== undefined) {
      items.push({
        Delete: {
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: keys.transaction(opts.transactionId) },
          ConditionExpression: ITEM_LIVE,
          ExpressionAttributeValues: { ':now': now },
        },
      });
    }
    if (opts.consent !== undefined) {
      const { sub, clientId } = opts.consent;
      items.push({
        Put: { TableName: this.tableName, Item: { ...opts.consent, [PARTITION_KEY]: keys.consent(sub, clientId) } },
      });
    }
    const onConditionFailed: OnConditionFailed = (index) =>
      new ConditionFailed(index === 0 ? 'code already exists' : 'transaction is gone or expired');
    await this.write<unknown>(
      () =>
        items.length === 1
          ? this.doc.send(new PutCommand(putCode))
          : this.doc.send(new TransactWriteCommand({ TransactItems: items })),
      onConditionFailed,
    );
  }

  /** Expired codes are returned too: a replay after expiry must still be recognised as one. */
  async getCode(codeHash: string): Promise<(CodeRecord & { consumed: boolean }) | undefined> {
    const item = await this.get(keys.code(codeHash));
    const code = recordOf<CodeRecord>(item, 'consumedAt');
    return code && { ...code, consumed: item?.consumedAt !== undefined };
  }

  /**
   * The code is flipped to consumed and the grant written in one transaction, so tokens exist only for
   * a consumed code. The grant is put only if absent: a revocation that got there first (see
   * `revokeGrant`) makes the redemption fail rather than be overwritten.
   */
  async redeemCode(codeHash: string, issuance: Issuance, now: number): Promise<void> {
    const { grant } = issuance;
    const onConditionFailed: OnConditionFailed = (index, old) => {
      if (index > 0) return new ConditionFailed('grant already exists or was revoked');
      if (old?.consumedAt !== undefined) return new AlreadyConsumed('code already redeemed', old.grantId?.S);
      return new ConditionFailed('code is missing, expired or bound to another grant');
    };
    await this.write(
      () =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: { [PARTITION_KEY]: keys.code(codeHash) },
                  UpdateExpression: 'SET consumedAt = :now',
                  ConditionExpression: `${ITEM_LIVE} AND attribute_not_exists(consumedAt) AND grantId = :grantId`,
                  ExpressionAttributeValues: { ':now': now, ':grantId': grant.grantId },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: expiringItem(keys.grant(grant.grantId), grant),
                  ConditionExpression: ITEM_ABSENT,
                },
              },
            ],
          }),
        ),
      onConditionFailed,
    );
  }

  /**
   * An upsert, so it also works before the grant exists. That cannot happen through replay detection
   * (`AlreadyConsumed` is only seen once the consuming transaction, grant included, has committed), but a
   * revocation racing ahead of a redemption must still win: the tombstone makes `redeemCode` fail.
   */
  async revokeGrant(grantId: string, now: number): Promise<void> {
    await this.write(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: keys.grant(grantId) },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), #ttl = if_not_exists(#ttl, :tombstoneTtl)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': now, ':tombstoneTtl': now + GRANT_TOMBSTONE_SECONDS },
        }),
      ),
    );
  }

  /** Whether `revokeGrant` was called for this grant; what introspection needs beyond the token's own `exp`. */
  async isGrantRevoked(grantId: string): Promise<boolean> {
    return (await this.get(keys.grant(grantId)))?.revokedAt !== undefined;
  }

  async countLoginAttempt(counterKeys: readonly string[], windowSeconds: number, now: number): Promise<number[]> {
    return Promise.all(counterKeys.map((key) => this.countAttempt(keys.throttle(key), windowSeconds, now)));
  }

  async forgiveLoginAttempt(counterKeys: readonly string[], now: number): Promise<void> {
    await Promise.all(
      counterKeys.map(async (key) => {
        try {
          await this.write(() =>
            this.doc.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: { [PARTITION_KEY]: keys.throttle(key) },
                UpdateExpression: 'ADD #count :minusOne',
                ConditionExpression: 'windowEnds > :now AND #count > :zero',
                ExpressionAttributeNames: { '#count': 'count' },
                ExpressionAttributeValues: { ':minusOne': -1, ':now': now, ':zero': 0 },
              }),
            ),
          );
        } catch (err) {
          // The window ended (or never started) meanwhile: nothing left to take back.
          if (!(err instanceof ConditionFailed)) throw err;
        }
      }),
    );
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const sub = await this.subOf(username);
    // Two reads whether or not the username exists, so the time taken does not tell (no user has the empty sub).
    return this.findBySub(sub ?? '');
  }

  async findBySub(sub: string): Promise<UserRecord | undefined> {
    return recordOf<UserRecord>(await this.get(keys.user(sub), false));
  }

  /** Creates or replaces a client (deploy-time sync and admin tooling); this container's cache sees it at once. */
  async putClient(record: ClientRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, [PARTITION_KEY]: keys.client(record.clientId) } }),
    );
    this.clientCache.delete(record.clientId);
  }

  /** Removes a client; removing an unknown one is not an error, so a sync can be re-run. */
  async deleteClient(clientId: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [PARTITION_KEY]: keys.client(clientId) } }));
    this.clientCache.delete(clientId);
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.scan<ClientRecord>(prefixes.client);
  }

  /** Writes the user and its username index together; `ConditionFailed` if the username or sub is taken. */
  async createUser(user: UserRecord): Promise<void> {
    const onConditionFailed: OnConditionFailed = (index) =>
      new ConditionFailed(index === 0 ? 'sub already exists' : 'username already taken');
    await this.write(
      () =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...user, [PARTITION_KEY]: keys.user(user.sub) },
                  ConditionExpression: ITEM_ABSENT,
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { [PARTITION_KEY]: keys.username(user.username), sub: user.sub },
                  ConditionExpression: ITEM_ABSENT,
                },
              },
            ],
          }),
        ),
      onConditionFailed,
    );
  }

  /** Applies the given changes and returns the updated user; `ConditionFailed` if there is no such user. */
  async updateUser(username: string, changes: UserChanges): Promise<UserRecord> {
    const sub = await this.subOf(username);
    if (sub === undefined) throw new ConditionFailed('no such user');
    // Setting the username to itself keeps the expression valid when nothing else changes.
    const names: Record<string, string> = { '#username': 'username' };
    const values: Item = { ':username': username };
    const sets = ['#username = :username'];
    for (const name of USER_CHANGES) {
      if (changes[name] === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = changes[name];
      sets.push(`#${name} = :${name}`);
    }
    const result = await this.write(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: keys.user(sub) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `${ITEM_EXISTS} AND #username = :username`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return recordOf<UserRecord>(result.Attributes) as UserRecord;
  }

  /** Every user, password hashes included: for the admin tooling only. */
  async listUsers(): Promise<UserRecord[]> {
    return this.scan<UserRecord>(prefixes.user);
  }

  /** Single-use and just-written items are read strongly consistent; clients and users may lag a little. */
  private async get(pk: string, consistent = true): Promise<Item | undefined> {
    const result = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [PARTITION_KEY]: pk }, ConsistentRead: consistent }),
    );
    return result.Item;
  }

  private async subOf(username: string): Promise<string | undefined> {
    const sub = (await this.get(keys.username(username), false))?.sub;
    return typeof sub === 'string' ? sub : undefined;
  }

  /**
   * Sends a conditional write. A failed condition becomes the error `onConditionFailed` picks; a collision
   * with a concurrent transaction is retried, because only the retry can tell whether the other writer
   * consumed the item (e.g. `AlreadyConsumed` for a replayed code), and a race that keeps being lost is a
   * `ConditionFailed`, never a server error.
   */
  private async write<T>(send: () => Promise<T>, onConditionFailed = plainConditionFailed): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        const failed = conditionFailure(err);
        if (failed !== undefined) throw onConditionFailed(failed.index, failed.old);
        if (!isConflict(err)) throw err;
        if (attempt === CONFLICT_ATTEMPTS) throw new ConditionFailed('lost a race against a concurrent write');
        await pause(attempt * (10 + Math.random() * 40));
      }
    }
  }

  /**
   * Adds one to a live window, or starts a new window if there is none, and returns the new count. Each
   * step is one conditional update, so concurrent attempts are each counted once and see distinct counts:
   * at most one of them starts the window and the others' next attempt adds to it.
   */
  private async countAttempt(pk: string, windowSeconds: number, now: number): Promise<number> {
    const Key = { [PARTITION_KEY]: pk };
    const windowEnds = now + windowSeconds;
    for (let round = 1; ; round++) {
      try {
        const added = await this.write(() =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key,
              UpdateExpression: 'ADD #count :one',
              ConditionExpression: 'windowEnds > :now',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':one': 1, ':now': now },
              ReturnValues: 'UPDATED_NEW',
            }),
          ),
        );
        return Number(added.Attributes?.count);
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
      }
      try {
        await this.write(() =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key,
              UpdateExpression: 'SET #count = :one, windowEnds = :windowEnds, #ttl = :windowEnds',
              ConditionExpression: `${ITEM_ABSENT} OR windowEnds <= :now`,
              ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
              ExpressionAttributeValues: { ':one': 1, ':now': now, ':windowEnds': windowEnds },
            }),
          ),
        );
        return 1;
      } catch (err) {
        // Someone else started the window meanwhile, so the next round's ADD lands in it.
        if (!(err instanceof ConditionFailed) || round === COUNTER_ROUNDS) throw err;
      }
    }
  }

  private async scan<T>(prefix: string): Promise<T[]> {
    const records: T[] = [];
    const pages = paginateScan(
      { client: this.doc },
      {
        TableName: this.tableName,
        FilterExpression: `begins_with(${PARTITION_KEY}, :prefix)`,
        ExpressionAttributeValues: { ':prefix': prefix },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) records.push(recordOf<T>(item) as T);
    }
    return records;
  }
}

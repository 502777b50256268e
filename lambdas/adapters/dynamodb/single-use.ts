// The DynamoDB SingleUse store, and the one conditional write that consumes any single-use item (codes included).
import { randomUUID } from 'node:crypto';
import { unmarshallItem } from '../aws/dynamodb.js';
import { AlreadyConsumed, ConditionFailed } from '../../core/errors.js';
import type { SingleUse } from '../../core/ports/storage.js';
import {
  CONSUMABLE,
  expiringItem,
  type Item,
  ITEM_ABSENT,
  putOf,
  type RawItem,
  type Table,
  type UpdateSpec,
} from './items.js';
import { keys } from './keys.js';
import { TTL_ATTRIBUTE } from './table-contract.js';

/** What a consumption adds to the update of the item, e.g. the code's binding to its grant. */
interface ConsumptionOptions {
  /** Another condition the item must meet, with its values. */
  readonly also?: { readonly condition: string; readonly values: Item };
  /** Consume an item that was never stored too, writing it with this expiry (epoch seconds). */
  readonly createUntil?: number;
}

/**
 * The update that consumes a single-use item: it sets `consumedAt` only if the item is live and was not
 * consumed, so of any number of concurrent consumptions exactly one succeeds. A failed one gets the item
 * back (`ALL_OLD`), for `wasConsumed` to tell a second consumption from a missing or expired item.
 */
export function consumption(now: number, opts: ConsumptionOptions = {}): UpdateSpec {
  const { also, createUntil } = opts;
  const live = also === undefined ? CONSUMABLE : `${CONSUMABLE} AND ${also.condition}`;
  if (createUntil === undefined) {
    return {
      UpdateExpression: 'SET consumedAt = :now',
      ConditionExpression: live,
      ExpressionAttributeValues: { ...also?.values, ':now': now },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }
  return {
    UpdateExpression:
      'SET consumedAt = :now, expiresAt = if_not_exists(expiresAt, :expiresAt), #ttl = if_not_exists(#ttl, :expiresAt)',
    ConditionExpression: `${ITEM_ABSENT} OR (${live})`,
    ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ...also?.values, ':now': now, ':expiresAt': createUntil },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * A write on its own (not in a transaction) has no idempotency token: when its answer is lost and the AWS client
 * tries again, the retry meets the write's own effect and its condition fails. Each such write therefore marks the
 * item with a value of its own (`writtenBy`), and a failed condition whose item carries it is that write's success.
 */
class OwnEarlierAttempt extends Error {
  constructor(readonly item: RawItem) {
    super('the item carries this write: an earlier attempt of it succeeded');
  }
}

const writtenBy = (old: RawItem | undefined, mark: string): old is RawItem => old?.writtenBy?.S === mark;

/** Whether the item that failed a consumption's condition had been consumed already (rather than missing or expired). */
export function wasConsumed(old: RawItem | undefined): old is RawItem {
  return old?.consumedAt !== undefined;
}

export class DynamoSingleUse implements SingleUse {
  constructor(private readonly table: Table) {}

  async put(kind: string, id: string, record: Readonly<Record<string, unknown>>, expiresAt: number): Promise<void> {
    const mark = randomUUID();
    try {
      await this.table.write(
        {
          [kind]: putOf(
            { ...expiringItem(keys.singleUse(kind, id), { expiresAt, record }), writtenBy: mark },
            { ConditionExpression: ITEM_ABSENT, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
          ),
        },
        (_, old) => (writtenBy(old, mark) ? new OwnEarlierAttempt(old) : new ConditionFailed(`${kind} already exists`)),
      );
    } catch (err) {
      if (!(err instanceof OwnEarlierAttempt)) throw err;
    }
  }

  async consume<T extends object>(
    kind: string,
    id: string,
    now: number,
    create?: { readonly expiresAt: number },
  ): Promise<T | undefined> {
    // A new item's expiry is the caller's, not a stored one a condition could read: it is checked against `now` here.
    if (create !== undefined && create.expiresAt <= now) throw new ConditionFailed(`${kind} has expired`);
    const mark = randomUUID();
    const spec = consumption(now, { createUntil: create?.expiresAt });
    let consumed: Item | undefined;
    try {
      consumed = await this.table.update(
        keys.singleUse(kind, id),
        {
          ...spec,
          UpdateExpression: `${spec.UpdateExpression}, writtenBy = :writtenBy`,
          ExpressionAttributeValues: { ...spec.ExpressionAttributeValues, ':writtenBy': mark },
          ReturnValues: 'ALL_NEW',
        },
        (old) => {
          if (writtenBy(old, mark)) return new OwnEarlierAttempt(old);
          return wasConsumed(old)
            ? new AlreadyConsumed(`${kind} already consumed`)
            : new ConditionFailed(`${kind} is missing or expired`);
        },
      );
    } catch (err) {
      if (!(err instanceof OwnEarlierAttempt)) throw err;
      consumed = unmarshallItem(err.item);
    }
    return consumed?.record as T | undefined;
  }
}

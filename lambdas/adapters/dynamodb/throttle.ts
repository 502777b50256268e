// The DynamoDB LoginThrottle: failure counters (logins, client authentications), one item per key, each within its
// own window; and this container's memory of the keys that went over their limit.
import { ConditionFailed } from '../../core/errors.js';
import type { LoginThrottle } from '../../core/ports/storage.js';
import { ITEM_ABSENT, type Table } from './items.js';
import { keys } from './keys.js';
import { TTL_ATTRIBUTE } from './table-contract.js';

/** A counter update can lose to a concurrent window start only once per window; more rounds mean a broken clock. */
const COUNTER_ROUNDS = 3;

/**
 * Most keys one container remembers as locked out. Only keys over their limit get here, each for one window; past
 * this many, the oldest is forgotten (it is still counted in the table, so its next failure locks it again).
 */
const MAX_LOCKOUTS = 10_000;

export class DynamoLoginThrottle implements LoginThrottle {
  /** Key → end of its window (epoch seconds), for keys that reached their limit: this container's memory only. */
  private readonly lockouts = new Map<string, number>();

  constructor(private readonly table: Table) {}

  async countAttempt(counterKeys: readonly string[], windowSeconds: number, now: number): Promise<number[]> {
    return Promise.all(
      counterKeys.map(async (key) => (await this.count(keys.throttle(key), windowSeconds, now)).count),
    );
  }

  async countFailure(key: string, windowSeconds: number, limit: number, now: number): Promise<number> {
    const { count, windowEnds } = await this.count(keys.throttle(key), windowSeconds, now);
    if (count >= limit) {
      this.lockouts.delete(key);
      if (this.lockouts.size >= MAX_LOCKOUTS) this.lockouts.delete(this.lockouts.keys().next().value!);
      this.lockouts.set(key, windowEnds);
    }
    return count;
  }

  lockedUntil(key: string, now: number): number | undefined {
    const until = this.lockouts.get(key);
    if (until === undefined) return undefined;
    if (until > now) return until;
    this.lockouts.delete(key);
    return undefined;
  }

  async forgive(counterKeys: readonly string[], now: number): Promise<void> {
    await Promise.all(
      counterKeys.map(async (key) => {
        try {
          await this.table.update(keys.throttle(key), {
            UpdateExpression: 'ADD #count :minusOne',
            ConditionExpression: 'windowEnds > :now AND #count > :zero',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':minusOne': -1, ':now': now, ':zero': 0 },
          });
        } catch (err) {
          // The window ended (or never started) meanwhile: nothing left to take back.
          if (!(err instanceof ConditionFailed)) throw err;
        }
      }),
    );
  }

  /**
   * Adds one to a live window, or starts a new window if there is none, and returns the new count and when its
   * window ends. Each
   * step is one conditional update, so concurrent attempts are each counted once and see distinct counts:
   * at most one of them starts the window and the others' next attempt adds to it.
   */
  private async count(pk: string, windowSeconds: number, now: number): Promise<{ count: number; windowEnds: number }> {
    const windowEnds = now + windowSeconds;
    for (let round = 1; ; round++) {
      try {
        const added = await this.table.update(pk, {
          UpdateExpression: 'ADD #count :one',
          ConditionExpression: 'windowEnds > :now',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':now': now },
          ReturnValues: 'ALL_NEW',
        });
        return { count: Number(added?.count), windowEnds: Number(added?.windowEnds) };
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
      }
      try {
        await this.table.update(pk, {
          UpdateExpression: 'SET #count = :one, windowEnds = :windowEnds, #ttl = :windowEnds',
          ConditionExpression: `${ITEM_ABSENT} OR windowEnds <= :now`,
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': 1, ':now': now, ':windowEnds': windowEnds },
        });
        return { count: 1, windowEnds };
      } catch (err) {
        // Someone else started the window meanwhile, so the next round's ADD lands in it.
        if (!(err instanceof ConditionFailed) || round === COUNTER_ROUNDS) throw err;
      }
    }
  }
}

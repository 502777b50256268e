// The DynamoDB GrantStore: authorization codes, issued and redeemed once, and the grants they create.
import { AlreadyConsumed, ConditionFailed } from '../../core/errors.js';
import type { CodeRecord, ConsentRecord, Issuance } from '../../core/model.js';
import type { GrantStore } from '../../core/ports/storage.js';
import {
  deleteOf,
  expiringItem,
  ITEM_ABSENT,
  ITEM_LIVE,
  type ItemWrite,
  putOf,
  recordOf,
  type Table,
  updateOf,
} from './items.js';
import { keys } from './keys.js';
import { consumption, wasConsumed } from './single-use.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './table-contract.js';

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

export class DynamoGrantStore implements GrantStore {
  constructor(private readonly table: Table) {}

  async issueCode(
    code: CodeRecord,
    opts: { transactionId?: string; consent?: ConsentRecord },
    now: number,
  ): Promise<void> {
    const items: Record<string, ItemWrite> = {
      code: putOf(
        {
          ...code,
          [PARTITION_KEY]: keys.code(code.codeHash),
          [TTL_ATTRIBUTE]: code.expiresAt + CONSUMED_CODE_RETENTION_SECONDS,
        },
        { ConditionExpression: ITEM_ABSENT },
      ),
    };
    if (opts.transactionId !== undefined) {
      items.transaction = deleteOf(keys.transaction(opts.transactionId), {
        ConditionExpression: ITEM_LIVE,
        ExpressionAttributeValues: { ':now': now },
      });
    }
    if (opts.consent !== undefined) {
      const { sub, clientId } = opts.consent;
      items.consent = putOf({ ...opts.consent, [PARTITION_KEY]: keys.consent(sub, clientId) });
    }
    await this.table.write(
      items,
      (name) => new ConditionFailed(name === 'code' ? 'code already exists' : 'transaction is gone or expired'),
    );
  }

  /** Expired codes are returned too: a replay after expiry must still be recognised as one. */
  async getCode(codeHash: string): Promise<(CodeRecord & { consumed: boolean }) | undefined> {
    const item = await this.table.get(keys.code(codeHash));
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
    await this.table.write(
      {
        code: updateOf(
          keys.code(codeHash),
          consumption(now, { also: { condition: 'grantId = :grantId', values: { ':grantId': grant.grantId } } }),
        ),
        grant: putOf(expiringItem(keys.grant(grant.grantId), grant), { ConditionExpression: ITEM_ABSENT }),
      },
      (name, old) => {
        if (name === 'grant') return new ConditionFailed('grant already exists or was revoked');
        if (wasConsumed(old)) return new AlreadyConsumed('code already redeemed', old.grantId?.S);
        return new ConditionFailed('code is missing, expired or bound to another grant');
      },
    );
  }

  /**
   * An upsert, so it also works before the grant exists. That cannot happen through replay detection
   * (`AlreadyConsumed` is only seen once the consuming transaction, grant included, has committed), but a
   * revocation racing ahead of a redemption must still win: the tombstone makes `redeemCode` fail.
   */
  async revokeGrant(grantId: string, now: number): Promise<void> {
    await this.table.update(keys.grant(grantId), {
      UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), #ttl = if_not_exists(#ttl, :tombstoneTtl)',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': now, ':tombstoneTtl': now + GRANT_TOMBSTONE_SECONDS },
    });
  }
}

// The DynamoDB GrantStore: authorization codes redeemed once, the grants they create, refresh tokens rotated once, revoked access tokens.
import { AlreadyConsumed, ConditionFailed } from '../../core/errors.js';
import type {
  CodeRecord,
  ConsentRecord,
  GrantRecord,
  Issuance,
  RefreshTokenRecord,
  UserRecord,
} from '../../core/model.js';
import type { GrantStore, TokenRefs, TokenStanding } from '../../core/ports/storage.js';
import {
  conditionCheckOf,
  deleteOf,
  type Item,
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
/**
 * How long a grant is kept past its end: an access token issued just before the end lives on for its own
 * lifetime (at most 24 hours, see `accessTokenLifetime`), and introspection must still find the grant for it.
 */
const GRANT_RETENTION_SECONDS = 2 * 86_400;
/** A grant a refresh token may still be rotated under. */
const GRANT_USABLE = `${ITEM_LIVE} AND attribute_not_exists(revokedAt)`;

const grantItem = (grant: GrantRecord): Item => ({
  ...grant,
  [PARTITION_KEY]: keys.grant(grant.grantId),
  [TTL_ATTRIBUTE]: grant.expiresAt + GRANT_RETENTION_SECONDS,
});

/**
 * Kept until the grant's end, consumed or not, so that a rotated token presented again is recognised as a
 * replay (and its family revoked) for as long as the family could live, instead of looking unknown.
 */
const refreshTokenItem = (token: RefreshTokenRecord): Item => ({
  ...token,
  [PARTITION_KEY]: keys.refreshToken(token.tokenHash),
  [TTL_ATTRIBUTE]: token.grantExpiresAt,
});

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
   * The code is flipped to consumed and the grant (and the first refresh token) written in one transaction,
   * so tokens exist only for a consumed code. The grant is put only if absent: a revocation that got there
   * first (see `revokeGrant`) makes the redemption fail rather than be overwritten.
   */
  async redeemCode(codeHash: string, issuance: Issuance, now: number): Promise<void> {
    const { grant, refreshToken } = issuance;
    const items: Record<string, ItemWrite> = {
      code: updateOf(
        keys.code(codeHash),
        consumption(now, { also: { condition: 'grantId = :grantId', values: { ':grantId': grant.grantId } } }),
      ),
      grant: putOf(grantItem(grant), { ConditionExpression: ITEM_ABSENT }),
    };
    if (refreshToken !== undefined) {
      items.refreshToken = putOf(refreshTokenItem(refreshToken), { ConditionExpression: ITEM_ABSENT });
    }
    await this.table.write(items, (name, old) => {
      if (name === 'grant') return new ConditionFailed('grant already exists or was revoked');
      if (name === 'refreshToken') return new ConditionFailed('refresh token already exists');
      if (wasConsumed(old)) return new AlreadyConsumed('code already redeemed', old.grantId?.S);
      return new ConditionFailed('code is missing, expired or bound to another grant');
    });
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

  /** Consumed and expired tokens are returned too: a replay must still be recognised as one. */
  async getRefreshToken(tokenHash: string): Promise<(RefreshTokenRecord & { consumed: boolean }) | undefined> {
    const item = await this.table.get(keys.refreshToken(tokenHash));
    const token = recordOf<RefreshTokenRecord>(item, 'consumedAt');
    return token && { ...token, consumed: item?.consumedAt !== undefined };
  }

  /**
   * The presented token is consumed by the same conditional update as a code (`consumption`), bound to the
   * successor's grant and client. The grant is only checked, in the same transaction: a revocation committed
   * before it makes the rotation fail, and one committed after it finds the successor in a revoked family.
   */
  async rotateRefreshToken(presentedHash: string, successor: RefreshTokenRecord, now: number): Promise<void> {
    const binding = {
      condition: 'grantId = :grantId AND clientId = :clientId',
      values: { ':grantId': successor.grantId, ':clientId': successor.clientId },
    };
    await this.table.write(
      {
        presented: updateOf(keys.refreshToken(presentedHash), consumption(now, { also: binding })),
        successor: putOf(refreshTokenItem(successor), { ConditionExpression: ITEM_ABSENT }),
        grant: conditionCheckOf(keys.grant(successor.grantId), {
          ConditionExpression: GRANT_USABLE,
          ExpressionAttributeValues: { ':now': now },
        }),
      },
      (name, old) => {
        if (name === 'grant') return new ConditionFailed('grant is revoked, expired or missing');
        if (name === 'successor') return new ConditionFailed('refresh token already exists');
        if (wasConsumed(old)) return new AlreadyConsumed('refresh token already used', old.grantId?.S);
        return new ConditionFailed('refresh token is missing, expired or bound to another grant');
      },
    );
  }

  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    await this.table.write({
      revoked: putOf({
        [PARTITION_KEY]: keys.revokedAccessToken(jti),
        [TTL_ATTRIBUTE]: expiresAt,
        jti,
        expiresAt,
      }),
    });
  }

  /** One BatchGetItem for all three: the revoked-jti marker, the grant and the user. */
  async tokenStanding(refs: TokenRefs): Promise<TokenStanding> {
    const jtiKey = refs.jti === undefined ? undefined : keys.revokedAccessToken(refs.jti);
    const grantKey = refs.grantId === undefined ? undefined : keys.grant(refs.grantId);
    const userKey = refs.sub === undefined ? undefined : keys.user(refs.sub);
    const wanted = [jtiKey, grantKey, userKey].filter((key) => key !== undefined);
    const items = wanted.length > 0 ? await this.table.getMany(wanted) : new Map<string, Item>();
    const grant = grantKey === undefined ? undefined : recordOf<TokenStanding['grant']>(items.get(grantKey));
    const user = userKey === undefined ? undefined : recordOf<UserRecord>(items.get(userKey));
    return {
      jtiRevoked: jtiKey !== undefined && items.has(jtiKey),
      ...(grant !== undefined && { grant }),
      ...(user !== undefined && { user }),
    };
  }
}

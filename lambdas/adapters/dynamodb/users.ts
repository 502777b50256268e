// The DynamoDB IdentitySource and LinkedUsers: users by sub, by username through the username index item, and by link.
import { ConditionFailed } from '../../core/errors.js';
import { linkedUsername } from '../../core/federation/linking.js';
import type { UpstreamLink, UserRecord } from '../../core/model.js';
import type { IdentitySource } from '../../core/ports/identity.js';
import type { LinkedUsers } from '../../core/ports/storage.js';
import { ITEM_ABSENT, ITEM_EXISTS, putOf, recordOf, type Table } from './items.js';
import { keys } from './keys.js';
import { PARTITION_KEY } from './table-contract.js';

/** The sub the username index item points to. */
export async function subOf(table: Table, username: string): Promise<string | undefined> {
  const sub = (await table.get(keys.username(username), false))?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

/**
 * Writes the user and its username index together; `ConditionFailed` if the sub is taken, or the username in any
 * case or Unicode form (the index is keyed by `usernameKey`).
 */
export async function writeNewUser(table: Table, user: UserRecord): Promise<void> {
  await table.write(
    {
      user: putOf({ ...user, [PARTITION_KEY]: keys.user(user.sub) }, { ConditionExpression: ITEM_ABSENT }),
      username: putOf(
        { [PARTITION_KEY]: keys.username(user.username), sub: user.sub },
        { ConditionExpression: ITEM_ABSENT },
      ),
    },
    (name) => new ConditionFailed(name === 'user' ? 'sub already exists' : 'username already taken'),
  );
}

export class DynamoIdentitySource implements IdentitySource {
  constructor(private readonly table: Table) {}

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const sub = await subOf(this.table, username);
    // Two reads whether or not the username exists, so the time taken does not tell (no user has the empty sub).
    return this.findBySub(sub ?? '');
  }

  async findBySub(sub: string): Promise<UserRecord | undefined> {
    return recordOf<UserRecord>(await this.table.get(keys.user(sub), false));
  }
}

/** A linked user's username is its link, so the username index is the link index too. */
export class DynamoLinkedUsers implements LinkedUsers {
  constructor(private readonly table: Table) {}

  async findLinked(link: UpstreamLink): Promise<UserRecord | undefined> {
    const sub = (await this.table.get(keys.username(linkedUsername(link))))?.sub;
    if (typeof sub !== 'string') return undefined;
    const user = recordOf<UserRecord>(await this.table.get(keys.user(sub)));
    // The index folds case; the link does not: an upstream sub differing only in case is another account.
    return user?.link?.sourceId === link.sourceId && user.link.sub === link.sub ? user : undefined;
  }

  createLinked(user: UserRecord): Promise<void> {
    return writeNewUser(this.table, user);
  }

  async refreshClaims(sub: string, claims: Readonly<Record<string, unknown>>): Promise<UserRecord> {
    const updated = await this.table.update(keys.user(sub), {
      UpdateExpression: 'SET #claims = :claims',
      ConditionExpression: `${ITEM_EXISTS} AND attribute_exists(#link) AND (attribute_not_exists(#disabled) OR #disabled = :no)`,
      ExpressionAttributeNames: { '#claims': 'claims', '#link': 'link', '#disabled': 'disabled' },
      ExpressionAttributeValues: { ':claims': claims, ':no': false },
      ReturnValues: 'ALL_NEW',
    });
    return recordOf<UserRecord>(updated) as UserRecord;
  }
}

// The DynamoDB IdentitySource: users by sub, and by username through the username index item.
import type { UserRecord } from '../../core/model.js';
import type { IdentitySource } from '../../core/ports/identity.js';
import { recordOf, type Table } from './items.js';
import { keys } from './keys.js';

/** The sub the username index item points to. */
export async function subOf(table: Table, username: string): Promise<string | undefined> {
  const sub = (await table.get(keys.username(username), false))?.sub;
  return typeof sub === 'string' ? sub : undefined;
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

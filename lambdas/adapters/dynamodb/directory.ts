// The DynamoDB Directory: the admin side's writes and listings of clients and users.
import { ConditionFailed } from '../../core/errors.js';
import type { ClientRecord, UserRecord } from '../../core/model.js';
import type { Directory, UserChanges } from '../../core/ports/storage.js';
import type { ClientCache } from './clients.js';
import { deleteOf, type Item, ITEM_EXISTS, putOf, recordOf, type Table } from './items.js';
import { keys, prefixes } from './keys.js';
import { PARTITION_KEY } from './table-contract.js';
import { subOf, writeNewUser } from './users.js';

/** Listed rather than taken from the object, so a caller's extra fields can never overwrite others. */
const USER_CHANGES = [
  'passwordHash',
  'disabled',
  'claims',
  'signedOutAt',
] as const satisfies readonly (keyof UserChanges)[];

export class DynamoDirectory implements Directory {
  constructor(
    private readonly table: Table,
    /** The client store's cache in this container, which a write here updates at once. */
    private readonly clientCache: ClientCache,
  ) {}

  /** Creates or replaces a client (deploy-time sync and admin tooling); this container's cache sees it at once. */
  async putClient(record: ClientRecord): Promise<void> {
    await this.table.write({ client: putOf({ ...record, [PARTITION_KEY]: keys.client(record.clientId) }) });
    this.clientCache.delete(record.clientId);
  }

  /** Removes a client; removing an unknown one is not an error, so a sync can be re-run. */
  async deleteClient(clientId: string): Promise<void> {
    await this.table.write({ client: deleteOf(keys.client(clientId)) });
    this.clientCache.delete(clientId);
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.table.scan<ClientRecord>(prefixes.client);
  }

  /**
   * Writes the user and its username index together; `ConditionFailed` if the sub is taken, or the username in any
   * case or Unicode form (the index is keyed by `usernameKey`).
   */
  async createUser(user: UserRecord): Promise<void> {
    await writeNewUser(this.table, user);
  }

  /**
   * Applies the given changes to the user `username` names (case-insensitively) and returns the updated user;
   * `ConditionFailed` if there is no such user. The username as registered is left as it was.
   */
  async updateUser(username: string, changes: UserChanges): Promise<UserRecord> {
    const sub = await subOf(this.table, username);
    if (sub === undefined) throw new ConditionFailed('no such user');
    // Setting the sub to itself keeps the expression valid when nothing else changes.
    const names: Record<string, string> = { '#sub': 'sub' };
    const values: Item = { ':sub': sub };
    const sets = ['#sub = :sub'];
    for (const name of USER_CHANGES) {
      if (changes[name] === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = changes[name];
      sets.push(`#${name} = :${name}`);
    }
    const updated = await this.table.update(keys.user(sub), {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: `${ITEM_EXISTS} AND #sub = :sub`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    return recordOf<UserRecord>(updated) as UserRecord;
  }

  /** Every user, password hashes included: for the admin tooling only. */
  async listUsers(): Promise<UserRecord[]> {
    return this.table.scan<UserRecord>(prefixes.user);
  }
}

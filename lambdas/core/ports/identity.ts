// Where the users who sign in, and their claims, come from.
import type { UserRecord } from '../model.js';

/** Where users and their claims come from. */
export interface IdentitySource {
  findByUsername(username: string): Promise<UserRecord | undefined>;
  findBySub(sub: string): Promise<UserRecord | undefined>;
}

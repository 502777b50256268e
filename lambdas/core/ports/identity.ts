// Where the users who sign in, and their claims, come from.
import type { UserRecord } from '../model.js';

/** Where users and their claims come from. */
export interface IdentitySource {
  /** The user whose username has the same `usernameKey` (case-insensitive, any Unicode form). */
  findByUsername(username: string): Promise<UserRecord | undefined>;
  findBySub(sub: string): Promise<UserRecord | undefined>;
}

// Whether what a user's authentication gave them (a session, a grant, a token) still counts: disabled and signed-out users lose it all.
import type { UserRecord } from './model.js';

/**
 * The user exists, is enabled and was not signed out at or after `authTime` (epoch seconds). A sign-out in the
 * same second as the authentication ends it too: within a second the order cannot be told, so the safe side wins.
 */
export function stillSignedIn(user: UserRecord | undefined, authTime: number): user is UserRecord {
  if (user === undefined || user.disabled === true) return false;
  return user.signedOutAt === undefined || authTime > user.signedOutAt;
}

// User administration of one workspace: add, set password, disable, enable, sign out, list (federated users with their source); passwords and hashes stay inside.
import type { Writable } from 'node:stream';
import { hashPassword, newId } from '../core/crypto.js';
import { ConditionFailed } from '../core/errors.js';
import type { UserRecord } from '../core/model.js';
import type { Stores, UserChanges } from '../core/ports/storage.js';
import { usernameProblem } from '../core/registration/registration.js';
import { AdminError } from './errors.js';
import { printList } from './output.js';
import { checkPassword } from './password.js';

/** Called only once the command is known to be possible, so nobody types a password for nothing. */
export type PasswordReader = () => Promise<string>;

export type Claims = Readonly<Record<string, unknown>>;

/** What `users list` shows of a user: an allow-list, so a secret added to the record later is not shown by accident. */
export interface UserView {
  readonly username: string;
  readonly sub: string;
  readonly disabled: boolean;
  readonly claims: Claims;
  /** For a federated user: the identity source it signs in at, and its `sub` there. */
  readonly link?: { readonly sourceId: string; readonly sub: string };
}

const noSuchUser = (username: string) => new AdminError(`There is no user "${username}" in this workspace.`);

/** The rule the local config's usernames follow too: the sign-in form is typed by people, who could never match others. */
function checkUsername(username: string): void {
  const problem = usernameProblem(username);
  if (problem !== undefined) throw new AdminError(`The username "${username}" is not valid: it ${problem}.`);
}

/** Creates a user with a fresh `sub`; returns the new user's view. */
export async function addUser(
  stores: Pick<Stores, 'directory' | 'users'>,
  user: { readonly username: string; readonly claims: Claims },
  readPassword: PasswordReader,
): Promise<UserView> {
  const { username, claims } = user;
  checkUsername(username);
  if ('sub' in claims) throw new AdminError('The claims cannot set "sub": the server assigns it.');
  const taken = new AdminError(`A user named "${username}" already exists.`);
  if (await stores.users.findByUsername(username)) throw taken;
  const password = await readPassword();
  checkPassword(password);
  const record: UserRecord = { sub: newId(), username, passwordHash: await hashPassword(password), claims };
  try {
    // The check above only spares the typing; this conditional write is what keeps usernames unique.
    await stores.directory.createUser(record);
  } catch (err) {
    throw err instanceof ConditionFailed ? taken : err;
  }
  return viewOf(record);
}

/** The current time in the epoch seconds of `signedOutAt`. */
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Sets a new password and, in the same write, signs the user out everywhere as of `at` (ASVS V3.3.3): whatever
 * the old password opened (browser sessions, grants and their refresh tokens) ends with it.
 */
export async function setPassword(
  stores: Pick<Stores, 'directory' | 'users'>,
  username: string,
  readPassword: PasswordReader,
  at?: number,
): Promise<void> {
  const user = await stores.users.findByUsername(username);
  if (!user) throw noSuchUser(username);
  if (user.link)
    throw new AdminError(`"${username}" signs in at identity source ${user.link.sourceId}: it has no password here.`);
  const password = await readPassword();
  checkPassword(password);
  await update(stores, username, { passwordHash: await hashPassword(password), signedOutAt: at ?? nowSeconds() });
}

/**
 * Disabling refuses the user's next sign-in, consent, code redemption and userinfo call; nothing is deleted. Both
 * disabling and enabling sign the user out everywhere as of `at`, in the same write: what was opened before a
 * disable (a compromised account's sessions and grants) stays ended once the user is enabled again, also for a
 * user disabled by a version that did not sign out.
 */
export async function setDisabled(
  stores: Pick<Stores, 'directory'>,
  username: string,
  disabled: boolean,
  at?: number,
): Promise<void> {
  await update(stores, username, { disabled, signedOutAt: at ?? nowSeconds() });
}

/**
 * Signs the user out everywhere as of `at` (epoch seconds): browser sessions, grants and their refresh tokens,
 * and the introspection of access tokens, resting on a sign-in at or before it no longer count. Signing in
 * again works as before.
 */
export async function signOutUser(
  stores: Pick<Stores, 'directory'>,
  username: string,
  at: number = nowSeconds(),
): Promise<void> {
  await update(stores, username, { signedOutAt: at });
}

export async function listUsers(stores: Pick<Stores, 'directory'>): Promise<UserView[]> {
  const users = await stores.directory.listUsers();
  return users.map(viewOf).sort((a, b) => a.username.localeCompare(b.username));
}

export function printUsers(users: readonly UserView[], out: Writable, json: boolean): void {
  printList(out, users, json, ['USERNAME', 'SUB', 'STATUS', 'SOURCE'], (u) => [
    u.username,
    u.sub,
    u.disabled ? 'disabled' : 'enabled',
    u.link ? u.link.sourceId : 'built-in',
  ]);
}

async function update(stores: Pick<Stores, 'directory'>, username: string, changes: UserChanges): Promise<void> {
  try {
    await stores.directory.updateUser(username, changes);
  } catch (err) {
    throw err instanceof ConditionFailed ? noSuchUser(username) : err;
  }
}

function viewOf(user: UserRecord): UserView {
  const view = { username: user.username, sub: user.sub, disabled: user.disabled === true, claims: user.claims };
  return user.link ? { ...view, link: { sourceId: user.link.sourceId, sub: user.link.sub } } : view;
}

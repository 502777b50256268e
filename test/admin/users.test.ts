// User administration against DynamoDB Local: add, duplicate, set password, disable/enable, sign out, list without hashes.
import { beforeEach, expect, it, vi } from 'vitest';
import { AdminError } from '../../lambdas/admin/errors.js';
import { addUser, listUsers, printUsers, setDisabled, setPassword, signOutUser } from '../../lambdas/admin/users.js';
import { verifyPassword } from '../../lambdas/core/crypto.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { capture } from './streams.js';

const PASSWORD = 'correct horse battery';
const claims = { name: 'Alice Example', email: 'alice@example.com', email_verified: true };
const password = (value: string) => vi.fn(async () => value);

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

it('adds a user that signs in with the password given, under a fresh sub', async () => {
  const added = await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));

  const stored = await t.stores.users.findByUsername('alice');
  expect(stored).toMatchObject({ username: 'alice', sub: added.sub, claims });
  expect(stored?.disabled).toBeUndefined();
  expect(await verifyPassword(PASSWORD, stored?.passwordHash)).toBe(true);
  expect(await verifyPassword('wrong horse battery', stored?.passwordHash)).toBe(false);
  expect(added).toEqual({ username: 'alice', sub: stored?.sub, disabled: false, claims });
});

it('refuses a taken username before asking for a password, and keeps the first user', async () => {
  const first = await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));
  const second = password('another long password');

  await expect(addUser(t.stores, { username: 'alice', claims: {} }, second)).rejects.toThrow(
    new AdminError('A user named "alice" already exists.'),
  );
  expect(second).not.toHaveBeenCalled();
  expect((await t.stores.users.findByUsername('alice'))?.sub).toBe(first.sub);
});

it('refuses a password that is too short, and creates nothing', async () => {
  await expect(addUser(t.stores, { username: 'alice', claims }, password('short pass1'))).rejects.toThrow(
    'The password is too short: it needs at least 12 characters.',
  );
  expect(await t.stores.users.findByUsername('alice')).toBeUndefined();
});

it('refuses usernames nobody could type at the sign-in form, and a sub among the claims', async () => {
  for (const username of ['', ' alice', 'alice ', 'al\u0000ice']) {
    await expect(addUser(t.stores, { username, claims }, password(PASSWORD))).rejects.toThrow(/is not valid/);
  }
  await expect(addUser(t.stores, { username: 'alice', claims: { sub: 'chosen' } }, password(PASSWORD))).rejects.toThrow(
    'The claims cannot set "sub": the server assigns it.',
  );
  expect(await t.stores.directory.listUsers()).toEqual([]);
});

it('sets a new password: the new one verifies, the old one no longer does', async () => {
  await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));
  const before = await t.stores.users.findByUsername('alice');

  const start = Math.floor(Date.now() / 1000);
  await setPassword(t.stores, 'alice', password('a brand new passphrase'));

  // Signed out in the same write: what the old password opened ends with it.
  const after = await t.stores.users.findByUsername('alice');
  expect(after).toEqual({ ...before, passwordHash: expect.any(String), signedOutAt: expect.any(Number) });
  expect(after!.signedOutAt).toBeGreaterThanOrEqual(start);
  expect(await verifyPassword('a brand new passphrase', after?.passwordHash)).toBe(true);
  expect(await verifyPassword(PASSWORD, after?.passwordHash)).toBe(false);
});

it('refuses to set the password of an unknown user before asking for it, or a password too short', async () => {
  const asked = password(PASSWORD);
  await expect(setPassword(t.stores, 'bob', asked)).rejects.toThrow(
    new AdminError('There is no user "bob" in this workspace.'),
  );
  expect(asked).not.toHaveBeenCalled();

  await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));
  await expect(setPassword(t.stores, 'alice', password('too short'))).rejects.toThrow(/too short/);
  expect(await verifyPassword(PASSWORD, (await t.stores.users.findByUsername('alice'))?.passwordHash)).toBe(true);
});

it('disables and enables a user, signing them out each time, and refuses an unknown one', async () => {
  await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));

  await setDisabled(t.stores, 'alice', true, 1_000);
  expect(await t.stores.users.findByUsername('alice')).toMatchObject({ disabled: true, signedOutAt: 1_000 });
  await setDisabled(t.stores, 'alice', false, 2_000);
  expect(await t.stores.users.findByUsername('alice')).toMatchObject({ disabled: false, signedOutAt: 2_000 });

  await expect(setDisabled(t.stores, 'bob', true)).rejects.toThrow(
    new AdminError('There is no user "bob" in this workspace.'),
  );
});

it('signs a user out as of now or the time given, keeping everything else, and refuses an unknown one', async () => {
  await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));
  const before = await t.stores.users.findByUsername('alice');
  const start = Math.floor(Date.now() / 1000);

  await signOutUser(t.stores, 'alice');
  const signedOutAt = (await t.stores.users.findByUsername('alice'))?.signedOutAt;
  expect(signedOutAt).toBeGreaterThanOrEqual(start);
  expect(signedOutAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  await signOutUser(t.stores, 'alice', 2_000_000_000);

  expect(await t.stores.users.findByUsername('alice')).toEqual({ ...before, signedOutAt: 2_000_000_000 });
  await expect(signOutUser(t.stores, 'bob')).rejects.toThrow(
    new AdminError('There is no user "bob" in this workspace.'),
  );
});

it('lists users sorted by name, as a table or as JSON, without any password hash', async () => {
  const bob = await addUser(t.stores, { username: 'bob', claims: {} }, password('bob long password'));
  const alice = await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));
  await setDisabled(t.stores, 'bob', true);
  const hashes = (await t.stores.directory.listUsers()).map((u) => u.passwordHash);

  const users = await listUsers(t.stores);
  const text = capture();
  printUsers(users, text.stream, false);
  const json = capture();
  printUsers(users, json.stream, true);

  expect(text.text().split('\n')).toEqual([
    expect.stringMatching(/^USERNAME +SUB +STATUS +SOURCE$/),
    expect.stringMatching(new RegExp(`^alice +${alice.sub} +enabled +built-in$`)),
    expect.stringMatching(new RegExp(`^bob +${bob.sub} +disabled +built-in$`)),
    '',
  ]);
  expect(JSON.parse(json.text())).toEqual([alice, { ...bob, disabled: true }]);
  for (const output of [text.text(), json.text()]) {
    expect(output).not.toMatch(/scrypt|passwordHash/);
    for (const hash of hashes) expect(output).not.toContain(hash!.split('$').at(-1));
  }
});

it('lists federated users with their source, and gives them no password', async () => {
  const alice = await addUser(t.stores, { username: 'alice', claims }, password(PASSWORD));
  const linked = {
    sub: 'local-sub-of-the-linked-user',
    username: 'corp:upstream-sub-1',
    link: { sourceId: 'corp', sub: 'upstream-sub-1' },
    claims: { email: 'alice@corp.example' },
  };
  await t.stores.linkedUsers.createLinked(linked);

  const users = await listUsers(t.stores);
  const text = capture();
  printUsers(users, text.stream, false);
  expect(text.text().split('\n')).toEqual([
    expect.stringMatching(/^USERNAME +SUB +STATUS +SOURCE$/),
    expect.stringMatching(new RegExp(`^alice +${alice.sub} +enabled +built-in$`)),
    expect.stringMatching(/^corp:upstream-sub-1 +local-sub-of-the-linked-user +enabled +corp$/),
    '',
  ]);
  expect(users[1]).toEqual({
    username: 'corp:upstream-sub-1',
    sub: 'local-sub-of-the-linked-user',
    disabled: false,
    claims: { email: 'alice@corp.example' },
    link: { sourceId: 'corp', sub: 'upstream-sub-1' },
  });

  const typed = password(PASSWORD);
  await expect(setPassword(t.stores, 'corp:upstream-sub-1', typed)).rejects.toThrow(
    new AdminError('"corp:upstream-sub-1" signs in at identity source corp: it has no password here.'),
  );
  expect(typed).not.toHaveBeenCalled();
  // Disabling works as for any user: the next sign-in at the source is refused.
  await setDisabled(t.stores, 'corp:upstream-sub-1', true);
  expect((await t.stores.linkedUsers.findLinked(linked.link))?.disabled).toBe(true);
});

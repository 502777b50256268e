// Users against DynamoDB Local: unique usernames, lookups both ways, admin updates and listing.
import { beforeEach, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { newId } from '../../lambdas/core/crypto.js';
import { ConditionFailed } from '../../lambdas/core/errors.js';
import type { UserRecord } from '../../lambdas/core/model.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { outcomes, race, rawItem } from './records.js';

const user = (username: string): UserRecord => ({
  sub: newId(),
  username,
  passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
  claims: { name: 'Alice Example', email: 'alice@example.com', email_verified: true },
});

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

it('finds a user by sub, and by username in any case', async () => {
  const alice = user('alice');
  await t.stores.directory.createUser(alice);

  expect(await t.stores.users.findByUsername('alice')).toEqual(alice);
  expect(await t.stores.users.findBySub(alice.sub)).toEqual(alice);
  expect(await t.stores.users.findByUsername('Alice')).toEqual(alice);
  expect(await t.stores.users.findByUsername('bob')).toBeUndefined();
  expect(await t.stores.users.findBySub('nobody')).toBeUndefined();
});

it('refuses a taken username and leaves no half-created user behind', async () => {
  await t.stores.directory.createUser(user('alice'));
  const impostor = user('alice');

  await expect(t.stores.directory.createUser(impostor)).rejects.toBeInstanceOf(ConditionFailed);
  expect(await t.stores.users.findBySub(impostor.sub)).toBeUndefined();
});

it('creates exactly one user when 10 sign-ups race for one username', async () => {
  const candidates = Array.from({ length: 10 }, () => user('alice'));

  const results = await race(10, (i) => t.stores.directory.createUser(candidates[i]!));

  expect(outcomes(results)).toEqual({ ok: 1, errors: Array(9).fill('ConditionFailed') });
  const winner = await t.stores.users.findByUsername('alice');
  const found = await Promise.all(candidates.map((c) => t.stores.users.findBySub(c.sub)));
  expect(found.filter((f) => f !== undefined)).toEqual([winner]);
});

it('updates the password, the disabled flag and the claims, and nothing else', async () => {
  const alice = user('alice');
  await t.stores.directory.createUser(alice);
  const changes = { passwordHash: 'scrypt$new', disabled: true, claims: { name: 'Alice' } };

  const updated = await t.stores.directory.updateUser('alice', { ...changes, username: 'mallory' } as typeof changes);

  expect(updated).toEqual({ ...alice, ...changes });
  expect(await t.stores.users.findByUsername('alice')).toEqual(updated);
  expect(await t.stores.directory.updateUser('alice', {})).toEqual(updated);
  await expect(t.stores.directory.updateUser('bob', { disabled: true })).rejects.toBeInstanceOf(ConditionFailed);
});

it('lists users only, without the index items', async () => {
  const alice = user('alice');
  const bob = user('bob');
  await t.stores.directory.createUser(alice);
  await t.stores.directory.createUser(bob);
  await t.stores.directory.putClient({
    clientId: 'web',
    tokenEndpointAuthMethod: 'none',
    redirectUris: [],
    grantTypes: [],
    scopes: [],
  });

  const listed = await t.stores.directory.listUsers();

  expect(listed.sort((a, b) => a.username.localeCompare(b.username))).toEqual([alice, bob]);
  expect(await rawItem(t, keys.username('alice'))).toEqual({ pk: 'USERNAME#alice', sub: alice.sub });
});

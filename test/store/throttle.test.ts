// Failed-login counters against DynamoDB Local: counted per key within a window, exact under concurrency.
import { beforeEach, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, outcomes, race, rawItem } from './records.js';

const WINDOW = 900;
let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

it('counts attempts per key and returns each count including the attempt', async () => {
  for (let i = 0; i < 3; i++) {
    expect(await t.stores.throttle.countAttempt(['user:alice', 'ip:192.0.2.1'], WINDOW, NOW + i)).toEqual([
      i + 1,
      i + 1,
    ]);
  }
  expect(await t.stores.throttle.countAttempt(['ip:192.0.2.1', 'user:bob'], WINDOW, NOW + 3)).toEqual([4, 1]);
  expect(await t.stores.throttle.countAttempt([], WINDOW, NOW)).toEqual([]);
});

it('takes an attempt back on success, but never below zero or from an ended window', async () => {
  await t.stores.throttle.countAttempt(['user:alice'], WINDOW, NOW);
  await t.stores.throttle.countAttempt(['user:alice'], WINDOW, NOW);
  await t.stores.throttle.forgive(['user:alice', 'user:nobody'], NOW);
  expect(await rawItem(t, keys.throttle('user:alice'))).toMatchObject({ count: 1 });
  await t.stores.throttle.forgive(['user:alice'], NOW);
  await t.stores.throttle.forgive(['user:alice'], NOW);
  expect(await rawItem(t, keys.throttle('user:alice'))).toMatchObject({ count: 0 });
  await t.stores.throttle.countAttempt(['user:alice'], WINDOW, NOW);
  await t.stores.throttle.forgive(['user:alice'], NOW + WINDOW);
  expect(await rawItem(t, keys.throttle('user:alice'))).toMatchObject({ count: 1 });
});

it('starts a fresh window once the old one has passed', async () => {
  await t.stores.throttle.countAttempt(['user:alice'], WINDOW, NOW);
  expect(await t.stores.throttle.countAttempt(['user:alice'], WINDOW, NOW + WINDOW - 1)).toEqual([2]);
  expect(await t.stores.throttle.countAttempt(['user:alice'], WINDOW, NOW + WINDOW)).toEqual([1]);
  expect(await rawItem(t, keys.throttle('user:alice'))).toMatchObject({ count: 1, ttl: NOW + 2 * WINDOW });
});

it('gives each of 30 simultaneous attempts its own count, on a new counter and on an expired one', async () => {
  const counts = async (now: number) => {
    const results = await race(30, () => t.stores.throttle.countAttempt(['user:alice'], WINDOW, now));
    expect(outcomes(results)).toEqual({ ok: 30, errors: [] });
    return results.map((r) => (r as PromiseFulfilledResult<number[]>).value[0]).sort((a, b) => a! - b!);
  };
  const oneToThirty = Array.from({ length: 30 }, (_, i) => i + 1);
  expect(await counts(NOW)).toEqual(oneToThirty);
  expect(await counts(NOW + WINDOW)).toEqual(oneToThirty);
});

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

it('counts failures per key and reports zero for unknown keys', async () => {
  for (let i = 0; i < 3; i++) await t.store.recordLoginFailure(['user:alice', 'ip:192.0.2.1'], WINDOW, NOW + i);
  await t.store.recordLoginFailure(['ip:192.0.2.1'], WINDOW, NOW + 3);

  expect(await t.store.loginFailures(['user:alice', 'ip:192.0.2.1', 'user:bob'], NOW + 4)).toEqual([3, 4, 0]);
  expect(await t.store.loginFailures([], NOW)).toEqual([]);
  expect(await t.store.loginFailures(['user:alice', 'user:alice'], NOW + 4)).toEqual([3, 3]);
});

it('forgets failures once the window has passed, and starts a fresh window on the next one', async () => {
  await t.store.recordLoginFailure(['user:alice'], WINDOW, NOW);
  await t.store.recordLoginFailure(['user:alice'], WINDOW, NOW + WINDOW - 1);

  expect(await t.store.loginFailures(['user:alice'], NOW + WINDOW - 1)).toEqual([2]);
  expect(await t.store.loginFailures(['user:alice'], NOW + WINDOW)).toEqual([0]);

  await t.store.recordLoginFailure(['user:alice'], WINDOW, NOW + WINDOW);

  expect(await t.store.loginFailures(['user:alice'], NOW + WINDOW)).toEqual([1]);
  expect(await rawItem(t, keys.throttle('user:alice'))).toMatchObject({ count: 1, ttl: NOW + 2 * WINDOW });
});

it('counts every one of 30 simultaneous failures, on a new counter and on an expired one', async () => {
  const results = await race(30, () => t.store.recordLoginFailure(['user:alice'], WINDOW, NOW));
  expect(outcomes(results)).toEqual({ ok: 30, errors: [] });
  expect(await t.store.loginFailures(['user:alice'], NOW)).toEqual([30]);

  const later = NOW + WINDOW;
  const again = await race(30, () => t.store.recordLoginFailure(['user:alice'], WINDOW, later));
  expect(outcomes(again)).toEqual({ ok: 30, errors: [] });
  expect(await t.store.loginFailures(['user:alice'], later)).toEqual([30]);
});

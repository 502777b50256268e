// Single-use items against DynamoDB Local: consumed at most once, never once expired, exact under concurrency.
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { AlreadyConsumed, ConditionFailed } from '../../lambdas/core/errors.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, outcomes, race, rawItem } from './records.js';

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

const request = { clientId: 'web', scope: 'openid', state: 'xyz' };

describe('a stored item (a pushed request)', () => {
  it('is taken once: the first consume returns its record, the second fails with AlreadyConsumed', async () => {
    await t.stores.singleUse.put('par', 'uri-1', request, NOW + 60);

    expect(await t.stores.singleUse.consume('par', 'uri-1', NOW)).toEqual(request);
    await expect(t.stores.singleUse.consume('par', 'uri-1', NOW + 1)).rejects.toBeInstanceOf(AlreadyConsumed);
    await expect(t.stores.singleUse.consume('par', 'uri-1', NOW + 3600)).rejects.toBeInstanceOf(AlreadyConsumed);
  });

  it('cannot be consumed once expired, nor when it was never stored', async () => {
    await t.stores.singleUse.put('par', 'uri-1', request, NOW + 60);

    const late = t.stores.singleUse.consume('par', 'uri-1', NOW + 60);
    await expect(late).rejects.toBeInstanceOf(ConditionFailed);
    await expect(late).rejects.not.toBeInstanceOf(AlreadyConsumed);
    expect(await rawItem(t, keys.singleUse('par', 'uri-1'))).not.toHaveProperty('consumedAt');
    await expect(t.stores.singleUse.consume('par', 'uri-2', NOW)).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('is stored once under its kind and id, with a ttl at its expiry', async () => {
    await t.stores.singleUse.put('par', 'uri-1', request, NOW + 60);

    await expect(t.stores.singleUse.put('par', 'uri-1', { other: true }, NOW + 60)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    expect(await rawItem(t, keys.singleUse('par', 'uri-1'))).toEqual({
      pk: keys.singleUse('par', 'uri-1'),
      ttl: NOW + 60,
      expiresAt: NOW + 60,
      record: request,
      // The mark of the write that stored it (what tells a retried write its own earlier success).
      writtenBy: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    await expect(t.stores.singleUse.consume('jti', 'uri-1', NOW)).rejects.toBeInstanceOf(ConditionFailed);
  });
});

describe('a mark (a client assertion’s jti)', () => {
  it('is consumed once: the first consume writes it, the second fails with AlreadyConsumed', async () => {
    expect(await t.stores.singleUse.consume('jti', 'client:j-1', NOW, { expiresAt: NOW + 60 })).toBeUndefined();

    await expect(
      t.stores.singleUse.consume('jti', 'client:j-1', NOW + 1, { expiresAt: NOW + 61 }),
    ).rejects.toBeInstanceOf(AlreadyConsumed);
    expect(await rawItem(t, keys.singleUse('jti', 'client:j-1'))).toEqual({
      pk: keys.singleUse('jti', 'client:j-1'),
      ttl: NOW + 60,
      expiresAt: NOW + 60,
      consumedAt: NOW,
      writtenBy: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('cannot be consumed with an expiry that has passed, and nothing is written', async () => {
    const expired = t.stores.singleUse.consume('jti', 'client:j-1', NOW, { expiresAt: NOW });
    await expect(expired).rejects.toBeInstanceOf(ConditionFailed);
    await expect(expired).rejects.not.toBeInstanceOf(AlreadyConsumed);
    expect(await rawItem(t, keys.singleUse('jti', 'client:j-1'))).toBeUndefined();
  });
});

describe('20 concurrent consumes of one id', () => {
  it('let exactly one take a stored item; the other 19 fail with AlreadyConsumed', async () => {
    await t.stores.singleUse.put('par', 'uri-1', request, NOW + 60);

    const results = await race(20, () => t.stores.singleUse.consume('par', 'uri-1', NOW));

    expect(outcomes(results)).toEqual({ ok: 1, errors: Array(19).fill('AlreadyConsumed') });
  });

  it('let exactly one write a mark; the other 19 fail with AlreadyConsumed', async () => {
    const results = await race(20, () => t.stores.singleUse.consume('jti', 'client:j-1', NOW, { expiresAt: NOW + 60 }));

    expect(outcomes(results)).toEqual({ ok: 1, errors: Array(19).fill('AlreadyConsumed') });
  });
});

it('keeps ids of different kinds, and look-alike kind and id pairs, apart', async () => {
  for (const [kind, id] of [
    ['jti', 'a'],
    ['jti#a', 'b'],
    ['jti', 'a#b'],
    ['par', 'a'],
  ] as const) {
    await expect(t.stores.singleUse.consume(kind, id, NOW, { expiresAt: NOW + 60 })).resolves.toBeUndefined();
  }
});

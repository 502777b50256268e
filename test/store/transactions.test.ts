// Authorization transactions and browser sessions against DynamoDB Local: expiry is enforced by the store, not by TTL.
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { ConditionFailed } from '../../lambdas/core/errors.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, newSession, newTransaction, rawItem } from './records.js';

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

describe('transactions', () => {
  it('reads a live transaction back as written, with a ttl at its expiry', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);

    expect(await t.stores.interactions.getTransaction(txn.id, NOW)).toEqual(txn);
    expect(await rawItem(t, keys.transaction(txn.id))).toMatchObject({ pk: `TXN#${txn.id}`, ttl: txn.expiresAt });
  });

  it('hides an expired transaction although the item is still there', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);

    expect(await t.stores.interactions.getTransaction(txn.id, txn.expiresAt)).toBeUndefined();
    expect(await rawItem(t, keys.transaction(txn.id))).toBeDefined();
  });

  it('records a login on the transaction and creates the session together', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    const { raw, record: session } = newSession();

    await t.stores.interactions.recordLogin(txn.id, session, NOW);

    expect(await t.stores.interactions.getTransaction(txn.id, NOW)).toEqual({
      ...txn,
      sub: session.sub,
      authTime: session.authTime,
      sessionHash: session.idHash,
    });
    expect(await t.stores.interactions.getSession(session.idHash, NOW)).toEqual(session);
    const item = await rawItem(t, keys.session(session.idHash));
    expect(item).toMatchObject({ pk: `SESSION#${session.idHash}`, ttl: session.expiresAt });
    expect(JSON.stringify(item)).not.toContain(raw);
  });

  it('refuses a login on an expired or missing transaction and creates no session', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    const { record: session } = newSession();

    await expect(t.stores.interactions.recordLogin(txn.id, session, txn.expiresAt)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    await expect(t.stores.interactions.recordLogin('no-such-txn', session, NOW)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    expect(await rawItem(t, keys.session(session.idHash))).toBeUndefined();
    expect(await rawItem(t, keys.transaction(txn.id))).not.toHaveProperty('sub');
  });

  it('takes the recorded login off a live transaction, keeping the rest; an expired or missing one fails', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    const { record: session } = newSession();
    await t.stores.interactions.recordLogin(txn.id, session, NOW);

    await t.stores.interactions.forgetLogin(txn.id, NOW);

    expect(await t.stores.interactions.getTransaction(txn.id, NOW)).toEqual(txn);
    expect(await t.stores.interactions.getSession(session.idHash, NOW)).toEqual(session);
    await expect(t.stores.interactions.forgetLogin(txn.id, txn.expiresAt)).rejects.toBeInstanceOf(ConditionFailed);
    await expect(t.stores.interactions.forgetLogin('no-such-txn', NOW)).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('discards a live transaction once; a second discard or an expired one fails', async () => {
    const live = newTransaction();
    const expired = newTransaction({ expiresAt: NOW - 1 });
    await t.stores.interactions.putTransaction(live);
    await t.stores.interactions.putTransaction(expired);

    await t.stores.interactions.discardTransaction(live.id, NOW);

    expect(await rawItem(t, keys.transaction(live.id))).toBeUndefined();
    await expect(t.stores.interactions.discardTransaction(live.id, NOW)).rejects.toBeInstanceOf(ConditionFailed);
    await expect(t.stores.interactions.discardTransaction(expired.id, NOW)).rejects.toBeInstanceOf(ConditionFailed);
  });
});

describe('sessions', () => {
  it('hides an expired session although the item is still there', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    const { record: session } = newSession({ expiresAt: NOW + 10 });
    await t.stores.interactions.recordLogin(txn.id, session, NOW);

    expect(await t.stores.interactions.getSession(session.idHash, NOW + 9)).toEqual(session);
    expect(await t.stores.interactions.getSession(session.idHash, NOW + 10)).toBeUndefined();
    expect(await rawItem(t, keys.session(session.idHash))).toBeDefined();
  });
});

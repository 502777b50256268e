// Authorization codes against DynamoDB Local: issued once per transaction, redeemed once, replays revoke the grant.
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { AlreadyConsumed, ConditionFailed } from '../../lambdas/core/errors.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, grantRevoked, issuanceFor, newCode, newTransaction, outcomes, race, rawItem } from './records.js';

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

describe('issueCode', () => {
  it('consumes the transaction and remembers consent in the same write', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    const { record } = newCode();
    const consent = { sub: record.sub, clientId: record.clientId, scopes: record.scopes, updatedAt: NOW };

    await t.stores.grants.issueCode(record, { transactionId: txn.id, consent }, NOW);

    expect(await t.stores.interactions.getTransaction(txn.id, NOW)).toBeUndefined();
    expect(await rawItem(t, keys.transaction(txn.id))).toBeUndefined();
    expect(await t.stores.grants.getCode(record.codeHash)).toEqual({ ...record, consumed: false });
    expect(await t.stores.interactions.getConsent(record.sub, record.clientId)).toEqual(consent);
  });

  it('refuses a second code for the same transaction and writes nothing', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    await t.stores.grants.issueCode(newCode().record, { transactionId: txn.id }, NOW);

    const second = newCode().record;
    await expect(t.stores.grants.issueCode(second, { transactionId: txn.id }, NOW)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    expect(await t.stores.grants.getCode(second.codeHash)).toBeUndefined();
  });

  it('issues exactly one code when 20 requests consume one transaction at once', async () => {
    const txn = newTransaction();
    await t.stores.interactions.putTransaction(txn);
    const codes = Array.from({ length: 20 }, () => newCode().record);

    const results = await race(20, (i) => t.stores.grants.issueCode(codes[i]!, { transactionId: txn.id }, NOW));

    expect(outcomes(results)).toEqual({ ok: 1, errors: Array(19).fill('ConditionFailed') });
    const stored = await Promise.all(codes.map((c) => t.stores.grants.getCode(c.codeHash)));
    expect(stored.filter((c) => c !== undefined)).toHaveLength(1);
  });

  it('refuses an expired transaction that still exists, and issues nothing', async () => {
    const txn = newTransaction({ expiresAt: NOW });
    await t.stores.interactions.putTransaction(txn);
    const { record } = newCode();

    await expect(t.stores.grants.issueCode(record, { transactionId: txn.id }, NOW)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    expect(await rawItem(t, keys.transaction(txn.id))).toBeDefined();
    expect(await t.stores.grants.getCode(record.codeHash)).toBeUndefined();
  });

  it('refuses a code hash that already exists when issued without a transaction', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);
    await expect(t.stores.grants.issueCode({ ...record, sub: 'someone-else' }, {}, NOW)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    expect((await t.stores.grants.getCode(record.codeHash))?.sub).toBe(record.sub);
  });

  it('keeps the consents of look-alike user and client pairs apart', async () => {
    const first = { sub: 'a#b', clientId: 'c', scopes: ['openid'], updatedAt: NOW };
    const second = { sub: 'a', clientId: 'b#c', scopes: ['profile'], updatedAt: NOW };
    await t.stores.grants.issueCode(newCode().record, { consent: first }, NOW);
    await t.stores.grants.issueCode(newCode().record, { consent: second }, NOW);

    expect(await t.stores.interactions.getConsent('a#b', 'c')).toEqual(first);
    expect(await t.stores.interactions.getConsent('a', 'b#c')).toEqual(second);
  });

  it('stores the code under its hash only, with a ttl beyond its expiry so replays are still seen', async () => {
    const { raw, record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);

    const item = await rawItem(t, keys.code(record.codeHash));
    expect(item?.pk).toBe(`CODE#${record.codeHash}`);
    expect(item?.ttl).toBeGreaterThan(record.expiresAt);
    expect(JSON.stringify(item)).not.toContain(raw);
  });
});

describe('redeemCode', () => {
  it('consumes the code and writes the grant with a ttl two days past its end, for its last access tokens', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);
    const issuance = issuanceFor(record);

    await t.stores.grants.redeemCode(record.codeHash, issuance, NOW);

    expect(await t.stores.grants.getCode(record.codeHash)).toEqual({ ...record, consumed: true });
    const grant = await rawItem(t, keys.grant(record.grantId));
    expect(grant).toMatchObject({ ...issuance.grant, ttl: issuance.grant.expiresAt + 2 * 86_400 });
    expect(await grantRevoked(t, record.grantId)).toBe(false);
  });

  it('fails a second redemption with AlreadyConsumed carrying the grant id, even after the code expired', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);
    await t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW);

    for (const now of [NOW, record.expiresAt + 3600]) {
      const replay = t.stores.grants.redeemCode(record.codeHash, issuanceFor(record, now), now);
      await expect(replay).rejects.toBeInstanceOf(AlreadyConsumed);
      await expect(replay).rejects.toMatchObject({ grantId: record.grantId });
    }
  });

  it('refuses an expired code that still exists with ConditionFailed, leaving it unconsumed', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);

    const late = t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), record.expiresAt);
    await expect(late).rejects.toBeInstanceOf(ConditionFailed);
    await expect(late).rejects.not.toBeInstanceOf(AlreadyConsumed);
    expect(await t.stores.grants.getCode(record.codeHash)).toMatchObject({ consumed: false });
    expect(await rawItem(t, keys.grant(record.grantId))).toBeUndefined();
  });

  it('refuses an unknown code and a grant that is not the code’s', async () => {
    const { record } = newCode();
    await expect(t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW)).rejects.toBeInstanceOf(
      ConditionFailed,
    );

    await t.stores.grants.issueCode(record, {}, NOW);
    const foreign = issuanceFor({ ...record, grantId: 'another-grant' });
    await expect(t.stores.grants.redeemCode(record.codeHash, foreign, NOW)).rejects.toBeInstanceOf(ConditionFailed);
    expect(await t.stores.grants.getCode(record.codeHash)).toMatchObject({ consumed: false });
  });

  it('lets exactly one of 50 simultaneous redemptions win; every other one is refused cleanly', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);

    const results = await race(50, () => t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW));

    const { ok, errors } = outcomes(results);
    expect(ok).toBe(1);
    expect(errors).toHaveLength(49);
    expect(errors.filter((e) => e !== 'AlreadyConsumed' && e !== 'ConditionFailed')).toEqual([]);
    for (const r of results) {
      if (r.status === 'rejected' && r.reason instanceof AlreadyConsumed) expect(r.reason.grantId).toBe(record.grantId);
    }
    expect(await t.stores.grants.getCode(record.codeHash)).toMatchObject({ consumed: true });
  });
});

describe('revokeGrant', () => {
  it('revokes the grant of a replayed code and keeps its data', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);
    const issuance = issuanceFor(record);
    await t.stores.grants.redeemCode(record.codeHash, issuance, NOW);
    const replay = await t.stores.grants.redeemCode(record.codeHash, issuance, NOW + 5).catch((err: unknown) => err);
    expect(replay).toBeInstanceOf(AlreadyConsumed);

    await t.stores.grants.revokeGrant((replay as AlreadyConsumed).grantId!, NOW + 5);
    await t.stores.grants.revokeGrant(record.grantId, NOW + 9);

    expect(await grantRevoked(t, record.grantId)).toBe(true);
    expect(await rawItem(t, keys.grant(record.grantId))).toEqual({
      ...issuance.grant,
      pk: keys.grant(record.grantId),
      ttl: issuance.grant.expiresAt + 2 * 86_400,
      revokedAt: NOW + 5,
    });
  });

  it('wins over a redemption that comes after it, even when the grant did not exist yet', async () => {
    const { record } = newCode();
    await t.stores.grants.issueCode(record, {}, NOW);

    await t.stores.grants.revokeGrant(record.grantId, NOW);

    await expect(t.stores.grants.redeemCode(record.codeHash, issuanceFor(record), NOW)).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    expect(await t.stores.grants.getCode(record.codeHash)).toMatchObject({ consumed: false });
    expect(await grantRevoked(t, record.grantId)).toBe(true);
    expect((await rawItem(t, keys.grant(record.grantId)))?.ttl).toBeGreaterThan(NOW);
  });
});

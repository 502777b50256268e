// Refresh tokens, revoked access tokens and token standing against DynamoDB Local: rotation is one conditional transaction.
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { hashToken, newId, randomToken } from '../../lambdas/core/crypto.js';
import { AlreadyConsumed, ConditionFailed } from '../../lambdas/core/errors.js';
import type { CodeRecord, RefreshTokenRecord } from '../../lambdas/core/model.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { NOW, issuanceFor, newCode, outcomes, race, rawItem } from './records.js';

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore();
});

const GRANT_END = NOW + 30 * 86_400;

function newRefreshToken(code: CodeRecord, overrides: Partial<RefreshTokenRecord> = {}) {
  const raw = randomToken();
  const record: RefreshTokenRecord = {
    tokenHash: hashToken(raw),
    grantId: code.grantId,
    clientId: code.clientId,
    sub: code.sub,
    scopes: code.scopes,
    audience: code.audience,
    authTime: code.authTime,
    issuedAt: NOW,
    expiresAt: NOW + 14 * 86_400,
    grantExpiresAt: GRANT_END,
    ...overrides,
  };
  return { raw, record };
}

/** A redeemed code whose grant ends at GRANT_END, with its first refresh token. */
async function family() {
  const { record: code } = newCode();
  await t.stores.grants.issueCode(code, {}, NOW);
  const first = newRefreshToken(code);
  const issuance = issuanceFor(code);
  await t.stores.grants.redeemCode(
    code.codeHash,
    { grant: { ...issuance.grant, expiresAt: GRANT_END }, refreshToken: first.record },
    NOW,
  );
  return { code, first };
}

describe('redeemCode with a refresh token', () => {
  it('writes the first token under its hash only, kept until the grant ends', async () => {
    const { first } = await family();

    expect(await t.stores.grants.getRefreshToken(first.record.tokenHash)).toEqual({ ...first.record, consumed: false });
    const item = await rawItem(t, keys.refreshToken(first.record.tokenHash));
    expect(item).toMatchObject({ pk: `RT#${first.record.tokenHash}`, ttl: GRANT_END });
    expect(JSON.stringify(item)).not.toContain(first.raw);
  });

  it('writes nothing when the code was already redeemed', async () => {
    const { code } = await family();
    const second = newRefreshToken(code);

    await expect(
      t.stores.grants.redeemCode(code.codeHash, { ...issuanceFor(code), refreshToken: second.record }, NOW),
    ).rejects.toBeInstanceOf(AlreadyConsumed);
    expect(await t.stores.grants.getRefreshToken(second.record.tokenHash)).toBeUndefined();
  });
});

describe('rotateRefreshToken', () => {
  it('consumes the presented token and writes its successor together', async () => {
    const { code, first } = await family();
    const next = newRefreshToken(code, { issuedAt: NOW + 60 });

    await t.stores.grants.rotateRefreshToken(first.record.tokenHash, next.record, NOW + 60);

    expect(await t.stores.grants.getRefreshToken(first.record.tokenHash)).toMatchObject({ consumed: true });
    expect(await t.stores.grants.getRefreshToken(next.record.tokenHash)).toEqual({ ...next.record, consumed: false });
  });

  it('fails a second use with AlreadyConsumed carrying the grant id, even after the token expired', async () => {
    const { code, first } = await family();
    await t.stores.grants.rotateRefreshToken(first.record.tokenHash, newRefreshToken(code).record, NOW);

    for (const now of [NOW + 1, first.record.expiresAt + 3600]) {
      const replay = t.stores.grants.rotateRefreshToken(first.record.tokenHash, newRefreshToken(code).record, now);
      await expect(replay).rejects.toBeInstanceOf(AlreadyConsumed);
      await expect(replay).rejects.toMatchObject({ grantId: code.grantId });
    }
  });

  it.each<[string, (c: CodeRecord, first: RefreshTokenRecord) => [number, Partial<RefreshTokenRecord>, boolean]]>([
    ['the token has expired', (_c, first) => [first.expiresAt, {}, false]],
    ['the grant has ended', () => [GRANT_END, {}, false]],
    ['the grant was revoked', () => [NOW, {}, true]],
    ['the successor names another grant', () => [NOW, { grantId: newId() }, false]],
    ['the successor names another client', () => [NOW, { clientId: 'someone-else' }, false]],
  ])('refuses with ConditionFailed when %s, and writes nothing', async (_name, setup) => {
    const { code, first } = await family();
    const [now, overrides, revoke] = setup(code, first.record);
    if (revoke) await t.stores.grants.revokeGrant(code.grantId, NOW);
    const next = newRefreshToken(code, overrides);

    const rotation = t.stores.grants.rotateRefreshToken(first.record.tokenHash, next.record, now);

    await expect(rotation).rejects.toBeInstanceOf(ConditionFailed);
    await expect(rotation).rejects.not.toBeInstanceOf(AlreadyConsumed);
    expect(await t.stores.grants.getRefreshToken(first.record.tokenHash)).toMatchObject({ consumed: false });
    expect(await rawItem(t, keys.refreshToken(next.record.tokenHash))).toBeUndefined();
  });

  it('refuses an unknown token with ConditionFailed', async () => {
    const { code } = await family();
    await expect(
      t.stores.grants.rotateRefreshToken(hashToken('unknown'), newRefreshToken(code).record, NOW),
    ).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('lets exactly one of 20 simultaneous rotations win, and writes exactly one successor', async () => {
    const { code, first } = await family();
    const successors = Array.from({ length: 20 }, () => newRefreshToken(code).record);

    const results = await race(20, (i) =>
      t.stores.grants.rotateRefreshToken(first.record.tokenHash, successors[i]!, NOW),
    );

    const { ok, errors } = outcomes(results);
    expect(ok).toBe(1);
    expect(errors.filter((e) => e !== 'AlreadyConsumed' && e !== 'ConditionFailed')).toEqual([]);
    const written = await Promise.all(successors.map((s) => t.stores.grants.getRefreshToken(s.tokenHash)));
    expect(written.filter((s) => s !== undefined)).toHaveLength(1);
  });
});

describe('tokenStanding and revokeAccessToken', () => {
  it('reads the revoked jti, the grant and the user in one call; a revoked jti is kept until the token expires', async () => {
    const { code } = await family();
    await t.stores.directory.createUser({ sub: code.sub, username: 'alice', passwordHash: 'x', claims: {} });
    const jti = newId();

    const before = await t.stores.grants.tokenStanding({ jti, grantId: code.grantId, sub: code.sub });
    await t.stores.grants.revokeAccessToken(jti, NOW + 3600);
    await t.stores.grants.revokeAccessToken(jti, NOW + 3600);
    const after = await t.stores.grants.tokenStanding({ jti, grantId: code.grantId, sub: code.sub });

    expect(before).toMatchObject({ jtiRevoked: false, grant: { grantId: code.grantId }, user: { sub: code.sub } });
    expect(before.grant?.revokedAt).toBeUndefined();
    expect(after.jtiRevoked).toBe(true);
    expect(await rawItem(t, keys.revokedAccessToken(jti))).toMatchObject({ ttl: NOW + 3600 });
  });

  it('shows a revoked grant, also one revoked before it was written, and nothing for what does not exist', async () => {
    const { code } = await family();
    await t.stores.grants.revokeGrant(code.grantId, NOW + 5);
    const tombstone = newId();
    await t.stores.grants.revokeGrant(tombstone, NOW);

    expect((await t.stores.grants.tokenStanding({ grantId: code.grantId })).grant).toMatchObject({
      grantId: code.grantId,
      revokedAt: NOW + 5,
    });
    expect((await t.stores.grants.tokenStanding({ grantId: tombstone })).grant).toEqual({ revokedAt: NOW });
    expect(await t.stores.grants.tokenStanding({ jti: 'none', grantId: 'none', sub: 'none' })).toEqual({
      jtiRevoked: false,
    });
    expect(await t.stores.grants.tokenStanding({})).toEqual({ jtiRevoked: false });
  });
});

// Record builders for the store tests: fresh random secrets, hashed the way the core hashes them.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import { hashToken, newId, randomToken } from '../../lambdas/core/crypto.js';
import type { CodeRecord, Issuance, SessionRecord, TransactionRecord } from '../../lambdas/core/model.js';
import type { TestStore } from '../support/dynamo.js';

/** A fixed "now" (epoch seconds) well ahead of the wall clock, so DynamoDB Local's TTL sweeper never removes test items. */
export const NOW = 2_000_000_000;

/** A code as the core would issue it, and the raw code value the store must never see. */
export function newCode(overrides: Partial<CodeRecord> = {}): { raw: string; record: CodeRecord } {
  const raw = randomToken();
  return {
    raw,
    record: {
      codeHash: hashToken(raw),
      grantId: newId(),
      clientId: 'web',
      redirectUri: 'https://app.example.com/callback',
      redirectUriSent: true,
      codeChallenge: randomToken(),
      scopes: ['openid', 'profile'],
      sub: 'user-1',
      authTime: NOW - 10,
      nonce: 'n-0S6_WzA2Mj',
      audience: ['https://api.example.com'],
      expiresAt: NOW + 60,
      ...overrides,
    },
  };
}

export function issuanceFor(code: CodeRecord, now = NOW): Issuance {
  return {
    grant: {
      grantId: code.grantId,
      clientId: code.clientId,
      sub: code.sub,
      scopes: code.scopes,
      audience: code.audience,
      authTime: code.authTime,
      createdAt: now,
      expiresAt: now + 30 * 86_400,
    },
  };
}

export function newTransaction(overrides: Partial<TransactionRecord> = {}): TransactionRecord {
  return {
    id: newId(),
    request: {
      clientId: 'web',
      redirectUri: 'https://app.example.com/callback',
      redirectUriSent: true,
      scopes: ['openid'],
      state: 'xyz',
      codeChallenge: randomToken(),
      codeChallengeMethod: 'S256',
      prompt: [],
      resources: [],
    },
    csrf: randomToken(),
    browserHash: hashToken(randomToken()),
    expiresAt: NOW + 600,
    ...overrides,
  };
}

/** A session and the raw cookie value the store must never see. */
export function newSession(overrides: Partial<SessionRecord> = {}): { raw: string; record: SessionRecord } {
  const raw = randomToken();
  return {
    raw,
    record: { idHash: hashToken(raw), sub: 'user-1', authTime: NOW, expiresAt: NOW + 8 * 3600, ...overrides },
  };
}

/** Starts `count` calls together: none is sent before all of them are queued behind the same gate. */
export async function race<T>(count: number, attempt: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const attempts = Array.from({ length: count }, (_, i) => gate.then(() => attempt(i)));
  open();
  return Promise.allSettled(attempts);
}

/** Splits settled results into successes and the rejections' error constructors' names. */
export function outcomes<T>(results: readonly PromiseSettledResult<T>[]): { ok: number; errors: string[] } {
  return {
    ok: results.filter((r) => r.status === 'fulfilled').length,
    errors: results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).name] : [])),
  };
}

/** The item as stored, read behind the store's back. */
export async function rawItem(t: TestStore, pk: string): Promise<Record<string, unknown> | undefined> {
  return (await t.doc.send(new GetCommand({ TableName: t.tableName, Key: { pk }, ConsistentRead: true }))).Item;
}

/** Whether `revokeGrant` was called for this grant, read from the raw grant item. */
export async function grantRevoked(t: TestStore, grantId: string): Promise<boolean> {
  return (await rawItem(t, keys.grant(grantId)))?.revokedAt !== undefined;
}

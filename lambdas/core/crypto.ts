// Randomness, hashing and constant-time comparison used by every endpoint.
import { createHash, createHmac, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';

/** A URL-safe random token with `bytes` bytes of entropy (32 bytes = 256 bits by default). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Every random value a holder of which gets something: each 256 bits from the CSPRNG, base64url. Ids that grant
 * nothing by themselves (a token's `jti`, a grant id) are UUIDs from `newId`.
 */
export const randomValues = {
  /** An authorization code. */
  code: () => randomToken(32),
  /** A refresh token. */
  refreshToken: () => randomToken(32),
  /** A browser session (the SSO cookie). */
  sessionId: () => randomToken(32),
  /** An authorization transaction, named in the consent pages' URLs and forms. */
  transactionId: () => randomToken(32),
  /** A transaction's anti-CSRF form token. */
  formToken: () => randomToken(32),
  /** The cookie that binds transactions to a browser. */
  browserBinding: () => randomToken(32),
  /** The id a pushed request's `request_uri` ends with. */
  requestUriId: () => randomToken(32),
  /** A client secret the admin tooling generates. */
  clientSecret: () => randomToken(32),
} as const;

export const newId = (): string => randomUUID();

export function sha256(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}

/** How secrets (codes, session ids, client secrets) are keyed and stored: base64url SHA-256. */
export function hashToken(value: string): string {
  return sha256(value).toString('base64url');
}

/** A value only a holder of `key` can compute (HMAC-SHA-256, base64url), e.g. a form token tied to a secret cookie. */
export function keyedHash(key: string, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

/** Compares two strings in time that depends only on their length. */
export function safeEqual(a: string, b: string): boolean {
  const x = sha256(a);
  const y = sha256(b);
  return timingSafeEqual(x, y) && a.length === b.length;
}

/** RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export const s256 = (verifier: string): string => hashToken(verifier);

/** Client secrets are server-generated and high-entropy, so a SHA-256 is the right hash for them. */
export function hashClientSecret(secret: string): string {
  return `sha256$${hashToken(secret)}`;
}

/**
 * What an unknown client's secret is compared with: made once, so that the unknown path does exactly the work of the
 * known one (a fresh random decoy per call cost 2.5 times the comparison itself).
 */
let decoySecretHash: string | undefined;

export function verifyClientSecret(secret: string, stored: string | undefined): boolean {
  const expected = stored ?? (decoySecretHash ??= hashClientSecret(randomToken()));
  return safeEqual(hashClientSecret(secret), expected) && stored !== undefined;
}

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Memory-hard password hash, self-describing: `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash no password matches, verified when a username is unknown so timing does not tell. */
let decoyHash: Promise<string> | undefined;

/** Verifies a password in constant time; an absent hash burns the same work and returns false. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const target = stored ?? (await (decoyHash ??= hashPassword(randomToken())));
  const [scheme, n, r, p, salt, hash] = target.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(key, expected) && stored !== undefined;
}

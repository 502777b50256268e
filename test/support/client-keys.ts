// Client key pairs and client assertions (RFC 7523) for tests of private_key_jwt.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { ClientJwk } from '../../lambdas/core/model.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public JWK as a client registers it, with `kid`, `alg` and `use`. */
  readonly jwk: ClientJwk;
}

export async function newClientKey(
  alg: string,
  kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`,
): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } as ClientJwk;
  return { alg, kid, privateKey, publicKey, jwk };
}

export interface AssertionOptions {
  /** Epoch milliseconds of "now", the test clock's. */
  readonly now: number;
  readonly clientId: string;
  /** @default the issuer given */
  readonly aud: string | string[];
  /** Claims to add, replace, or remove (`undefined`). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Header members to add or replace; `kid: undefined` leaves it out. */
  readonly header?: Readonly<Record<string, unknown>>;
}

/** A valid assertion: iss = sub = client id, the given aud, iat now, exp in 60 s, a fresh jti. */
export function assertionClaims(opts: AssertionOptions): JWTPayload {
  const now = Math.floor(opts.now / 1000);
  const claims: Record<string, unknown> = {
    iss: opts.clientId,
    sub: opts.clientId,
    aud: opts.aud,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
    ...opts.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return claims as JWTPayload;
}

export async function signAssertion(key: ClientKey, opts: AssertionOptions): Promise<string> {
  const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'JWT', ...opts.header };
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
  return new SignJWT(assertionClaims(opts)).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** An unsecured JWT (`alg: none`, RFC 7519 §6) with the claims of a valid assertion. */
export function unsecuredAssertion(opts: AssertionOptions): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(assertionClaims(opts))}.`;
}

// Verifying a JWT with keys another party publishes (a client's JWK Set, an upstream provider's): imported once, refetched on an unknown key.
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { ClientJwkSet } from '../model.js';

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** Key sets by the JWK Set they import: a cached client record or fetched set is imported once, not per request. */
const keySets = new WeakMap<ClientJwkSet, KeySet>();

export function keySetOf(jwks: ClientJwkSet): KeySet {
  let keySet = keySets.get(jwks);
  if (!keySet) {
    keySet = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
    keySets.set(jwks, keySet);
  }
  return keySet;
}

/** jose leaves it to the caller to try each of several keys that fit the header (no `kid`, or a `kid` used twice). */
export async function verifyWith(jwt: string, keySet: KeySet, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(jwt, keySet, options)).payload;
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    for await (const key of err) {
      try {
        return (await jwtVerify(jwt, key, options)).payload;
      } catch (e) {
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) throw e;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/**
 * Verifies with the set `fetchSet` serves; a key the served set lacks asks for the set again (the publisher may have
 * rotated), and the fetcher decides whether that really fetches.
 */
export async function verifyWithPublishedKeys(
  jwt: string,
  fetchSet: (refresh: boolean) => Promise<ClientJwkSet>,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  const served = await fetchSet(false);
  try {
    return await verifyWith(jwt, keySetOf(served), options);
  } catch (err) {
    if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    const fresh = await fetchSet(true);
    if (fresh === served) throw err;
    return verifyWith(jwt, keySetOf(fresh), options);
  }
}

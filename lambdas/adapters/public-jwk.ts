// The public JWK a signer publishes, built from its key: RFC 7638 thumbprint as kid, only the public members.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { PublicJwk, SigningAlg } from '../core/ports/signing.js';

/** Whether `key` can sign `alg`: RSA of at least 2048 bits for RS256/PS256, P-256 (and no other curve) for ES256. */
export function keyFits(key: KeyObject, alg: SigningAlg): boolean {
  return alg === 'ES256'
    ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
    : key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
}

/**
 * `key` (public, or private to derive it from) must fit `alg` (`keyFits`): the signers check that first,
 * each with a message naming its key. Members are copied one by one so nothing private can slip through.
 */
export async function publicJwkOf(key: KeyObject, alg: SigningAlg): Promise<PublicJwk> {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  const members =
    jwk.kty === 'EC'
      ? { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x as string, y: jwk.y as string }
      : { kty: 'RSA' as const, n: jwk.n as string, e: jwk.e as string };
  const kid = await calculateJwkThumbprint(members, 'sha256');
  return { ...members, kid, alg, use: 'sig' };
}

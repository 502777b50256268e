// The public JWK a signer publishes, built from its key: RFC 7638 thumbprint as kid, only the public members.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { PublicJwk, SigningAlg } from '../core/ports.js';

/**
 * `key` (public, or private to derive it from) must be RSA or P-256: the signers check it fits `alg` first,
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

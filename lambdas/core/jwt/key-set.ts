// The workspace's public keys: what the JWKS publishes, the algorithms they sign with, and a verifier key set.
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { KeyRing, PublicJwk, SigningAlg } from '../ports/signing.js';
import type { Workspace } from '../workspace.js';

export async function publicKeys(ws: Pick<Workspace, 'keys'>): Promise<PublicJwk[]> {
  return Promise.all(ws.keys.all.map((k) => k.publicJwk()));
}

/** The algorithms the workspace's keys sign with: advertised in metadata, and all a verifier accepts. */
export const signingAlgs = (ws: Pick<Workspace, 'keys'>): SigningAlg[] => [...new Set(ws.keys.all.map((k) => k.alg))];

const keySets = new WeakMap<KeyRing, Promise<JWTVerifyGetKey>>();

/** The workspace's own keys as a jose key set, imported once per key ring rather than per request. */
export function verificationKeys(ws: Pick<Workspace, 'keys'>): Promise<JWTVerifyGetKey> {
  let keySet = keySets.get(ws.keys);
  if (!keySet) {
    keySet = publicKeys(ws).then((keys) => createLocalJWKSet({ keys: keys as never }));
    keySet.catch(() => keySets.delete(ws.keys));
    keySets.set(ws.keys, keySet);
  }
  return keySet;
}

// JWS `alg` → KMS signing algorithm; shared by the signer and the construct's `kms:SigningAlgorithm` condition.
import type { SigningAlg } from '../../core/ports/signing.js';

/** All of them sign a SHA-256 digest. */
export const kmsSigningAlgorithm: Readonly<Record<SigningAlg, string>> = {
  RS256: 'RSASSA_PKCS1_V1_5_SHA_256',
  PS256: 'RSASSA_PSS_SHA_256',
  ES256: 'ECDSA_SHA_256',
};

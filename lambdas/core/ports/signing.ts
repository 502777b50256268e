// The signing keys of a workspace: the algorithms, the published public keys and the signers behind them.

export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** A public JWK as published in the JWKS (RFC 7517), `kid` = RFC 7638 thumbprint. */
export interface PublicJwk {
  readonly kty: 'RSA' | 'EC';
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly use: 'sig';
  readonly n?: string;
  readonly e?: string;
  readonly crv?: 'P-256';
  readonly x?: string;
  readonly y?: string;
}

/** Signs JWS signing inputs; private keys never leave the signer (KMS in AWS). */
export interface Signer {
  readonly alg: SigningAlg;
  /** The public key with its `kid`; adapters fetch it once and cache it. */
  publicJwk(): Promise<PublicJwk>;
  /** Returns the raw JWS signature (for ES256 the 64-byte `r||s`) over the ASCII signing input. */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** The keys of a workspace: one signs, all of them verify (rotation keeps old keys published). */
export interface KeyRing {
  readonly active: Signer;
  readonly all: readonly Signer[];
}

// A Signer backed by an asymmetric AWS KMS key: the private key never leaves KMS.
import { createHash, createPublicKey } from 'node:crypto';
import type { AwsJsonClient } from '../aws/json-client.js';
import type { PublicJwk, Signer, SigningAlg } from '../../core/ports/signing.js';
import { callService } from '../aws-faults.js';
import { keyFits, publicJwkOf } from '../public-jwk.js';
import { derToJose } from './ecdsa-signature.js';
import { kmsSigningAlgorithm } from './signing-algorithm.js';

export interface KmsSignerOptions {
  /** The KMS client (lambdas/adapters/aws), shared per container: created once at module scope. */
  readonly client: AwsJsonClient;
  /** Key id, ARN or alias of an asymmetric `SIGN_VERIFY` key. */
  readonly keyId: string;
  readonly alg: SigningAlg;
}

export class KmsSigner implements Signer {
  readonly alg: SigningAlg;
  readonly #client: AwsJsonClient;
  readonly #keyId: string;
  #jwk: Promise<PublicJwk> | undefined;

  constructor(opts: KmsSignerOptions) {
    this.#client = opts.client;
    this.#keyId = opts.keyId;
    this.alg = opts.alg;
  }

  /** Fetched once per container; a failed fetch is forgotten so the next request retries. */
  publicJwk(): Promise<PublicJwk> {
    this.#jwk ??= this.#fetchPublicJwk().catch((err: unknown) => {
      this.#jwk = undefined;
      throw err;
    });
    return this.#jwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    // Sending the digest keeps every request small; KMS would hash a RAW message the same way.
    const digest = createHash('sha256').update(signingInput).digest();
    const { Signature } = await callService('KMS', () =>
      this.#client.send('Sign', {
        KeyId: this.#keyId,
        Message: digest.toString('base64'),
        MessageType: 'DIGEST',
        SigningAlgorithm: kmsSigningAlgorithm[this.alg],
      }),
    );
    if (typeof Signature !== 'string') throw new Error(`KMS returned no signature for key ${this.#keyId}.`);
    const signature = new Uint8Array(Buffer.from(Signature, 'base64'));
    return this.alg === 'ES256' ? derToJose(signature) : signature;
  }

  async #fetchPublicJwk(): Promise<PublicJwk> {
    const res = (await callService('KMS', () => this.#client.send('GetPublicKey', { KeyId: this.#keyId }))) as {
      PublicKey?: string;
      KeyUsage?: string;
      KeySpec?: string;
      SigningAlgorithms?: string[];
    };
    // A key of the wrong spec would sign tokens nobody can verify: refuse it before the first token.
    if (
      !res.PublicKey ||
      res.KeyUsage !== 'SIGN_VERIFY' ||
      !res.SigningAlgorithms?.includes(kmsSigningAlgorithm[this.alg])
    ) {
      throw new Error(`KMS key ${this.#keyId} (${res.KeySpec ?? 'unknown spec'}) cannot sign ${this.alg}.`);
    }
    const key = createPublicKey({ key: Buffer.from(res.PublicKey, 'base64'), format: 'der', type: 'spki' });
    // ECC_SECG_P256K1 keys also offer ECDSA_SHA_256, but ES256 is defined on P-256 only.
    if (!keyFits(key, this.alg)) throw new Error(`KMS key ${this.#keyId} is not a P-256 key.`);
    return publicJwkOf(key, this.alg);
  }
}

// A KMS stand-in that really signs SHA-256 digests with node:crypto keys and answers like KMS (DER for ECDSA).
import {
  constants,
  createECDH,
  createHash,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';

/** DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1), prepended for PKCS#1 v1.5. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
/** Order of the P-256 group. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const toBigInt = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

/** A minimal DER INTEGER: no leading zeros except the one that keeps a high bit positive. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

export interface EcdsaStats {
  /** Signatures where r or s had fewer than 32 significant bytes. */
  short: number;
  /** Signatures where r or s needed a 0x00 sign byte (33 bytes in DER). */
  padded: number;
}

/**
 * ECDSA over a prehashed digest, which node:crypto cannot do directly: k·G comes from ECDH
 * (native scalar multiplication), the rest is the textbook formula (FIPS 186-5 §6.4.1).
 */
function ecdsaSignDigest(digest: Uint8Array, d: bigint, stats: EcdsaStats): Buffer {
  for (;;) {
    const kBytes = randomBytes(32);
    const k = toBigInt(kBytes);
    if (k === 0n || k >= P256_N) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(kBytes);
    const r = toBigInt(ecdh.getPublicKey().subarray(1, 33)) % P256_N;
    const s = (modPow(k, P256_N - 2n, P256_N) * (toBigInt(digest) + r * d)) % P256_N;
    if (r === 0n || s === 0n) continue;
    const ints = [derInteger(r), derInteger(s)];
    if (ints.some((i) => i.length < 34)) stats.short++;
    if (ints.some((i) => i.length > 34)) stats.padded++;
    const body = Buffer.concat(ints);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
}

/** RSASSA-PSS encoding with MGF1-SHA-256 and a 32-byte salt (RFC 8017 §9.1.1), what KMS and PS256 use. */
function pssEncode(digest: Uint8Array, modulusBits: number): Buffer {
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(32);
  const h = createHash('sha256').update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 32 - 32 - 2), Buffer.from([1]), salt]);
  const mask = Buffer.alloc(db.length);
  for (let counter = 0, at = 0; at < mask.length; counter++, at += 32) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    createHash('sha256').update(h).update(c).digest().copy(mask, at);
  }
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  return emLen < modulusBits / 8 ? Buffer.concat([Buffer.alloc(1), em]) : em;
}

const keySpecOf: Record<SigningAlg, string> = { RS256: 'RSA_2048', PS256: 'RSA_2048', ES256: 'ECC_NIST_P256' };
const algorithmsOf: Record<SigningAlg, string[]> = {
  RS256: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'],
  PS256: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'],
  ES256: ['ECDSA_SHA_256'],
};

/** One asymmetric KMS key held in memory. */
export class FakeKmsKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly stats: EcdsaStats = { short: 0, padded: 0 };

  constructor(readonly alg: SigningAlg) {
    const pair =
      alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  getPublicKey(keyId: string) {
    return {
      KeyId: keyId,
      KeySpec: keySpecOf[this.alg],
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: new Uint8Array(this.publicKey.export({ format: 'der', type: 'spki' })),
      SigningAlgorithms: algorithmsOf[this.alg],
    };
  }

  /** KMS `Sign` with `MessageType: DIGEST`: the message is the 32-byte SHA-256 digest. */
  sign(input: { Message?: Uint8Array; MessageType?: string; SigningAlgorithm?: string }): Uint8Array {
    const digest = input.Message;
    if (input.MessageType !== 'DIGEST' || !digest || digest.length !== 32) throw new Error('expected a SHA-256 digest');
    if (!algorithmsOf[this.alg].includes(input.SigningAlgorithm ?? ''))
      throw new Error('algorithm not supported by key');
    switch (input.SigningAlgorithm) {
      case 'RSASSA_PKCS1_V1_5_SHA_256':
        return privateEncrypt(
          { key: this.privateKey, padding: constants.RSA_PKCS1_PADDING },
          Buffer.concat([SHA256_DIGEST_INFO, digest]),
        );
      case 'RSASSA_PSS_SHA_256': {
        const bits = (this.privateKey.asymmetricKeyDetails?.modulusLength ?? 2048) as number;
        return privateEncrypt({ key: this.privateKey, padding: constants.RSA_NO_PADDING }, pssEncode(digest, bits));
      }
      default: {
        const d = toBigInt(Buffer.from(this.privateKey.export({ format: 'jwk' }).d as string, 'base64url'));
        return ecdsaSignDigest(digest, d, this.stats);
      }
    }
  }
}

// The KMS signer on the lean KMS client, against a KMS stand-in on loopback that really signs: its JWS verify with
// jose against the JWK it serves.
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws/credentials.js';
import { AwsJsonClient, KMS } from '../../lambdas/adapters/aws/json-client.js';
import { toOAuthError } from '../../lambdas/core/errors.js';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';
import { type KmsKeyDouble, type KmsStandIn, startKmsStandIn } from '../support/kms-stand-in.js';
import { FakeKmsKey } from './fake-kms.js';

const KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const standIns: KmsStandIn[] = [];
afterAll(async () => {
  await Promise.all(standIns.map((s) => s.stop()));
});

/** A stand-in serving `key` under KEY_ID, and the KMS client the Lambdas use pointed at it. */
async function kmsWith(key: KmsKeyDouble) {
  const kms = await startKmsStandIn({ [KEY_ID]: key });
  standIns.push(kms);
  const client = new AwsJsonClient({
    service: KMS,
    endpoint: kms.endpoint,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
  });
  return { kms, client };
}

/** A compact JWS built the way the core builds tokens: header with alg and kid, signature from the signer. */
async function signJws(signer: KmsSigner, payload: object): Promise<string> {
  const { kid } = await signer.publicJwk();
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: signer.alg, kid, typ: 'JWT' })}.${b64(payload)}`;
  const signature = await signer.sign(Buffer.from(input, 'ascii'));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

describe.each<[SigningAlg, number]>([
  ['RS256', 5],
  ['PS256', 5],
  // Enough ES256 signatures that r or s shorter than 32 bytes (p ≈ 1/128 each) shows up.
  ['ES256', 1500],
])('KmsSigner %s', (alg, iterations) => {
  let key: FakeKmsKey;
  beforeEach(() => {
    key = new FakeKmsKey(alg);
  });

  it('signs JWS that jose verifies against the JWKS it serves', async () => {
    // GIVEN
    const { kms, client } = await kmsWith(key);
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg });
    const jwks = createLocalJWKSet({ keys: [{ ...(await signer.publicJwk()) }] });

    // WHEN / THEN
    for (let i = 0; i < iterations; i++) {
      const jws = await signJws(signer, { sub: `user-${i}`, iat: 1_700_000_000 + i });
      const { payload, protectedHeader } = await compactVerify(jws, jwks, { algorithms: [alg] });
      expect(protectedHeader.alg).toBe(alg);
      expect(JSON.parse(new TextDecoder().decode(payload)).sub).toBe(`user-${i}`);
    }
    expect(kms.calls.get('GetPublicKey')).toBe(1);
    expect(kms.calls.get('Sign')).toBe(iterations);
    expect(kms.requests.find((r) => r.operation === 'Sign')?.input).toMatchObject({
      KeyId: KEY_ID,
      MessageType: 'DIGEST',
      SigningAlgorithm: { RS256: 'RSASSA_PKCS1_V1_5_SHA_256', PS256: 'RSASSA_PSS_SHA_256', ES256: 'ECDSA_SHA_256' }[
        alg
      ],
    });
    if (alg === 'ES256') {
      expect(key.stats.short).toBeGreaterThan(0);
      expect(key.stats.padded).toBeGreaterThan(0);
    }
  });

  it('serves a public JWK whose kid is the RFC 7638 thumbprint', async () => {
    // GIVEN
    const { client } = await kmsWith(key);
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg });

    // WHEN
    const jwk = await signer.publicJwk();

    // THEN
    expect(jwk).toMatchObject({ kty: alg === 'ES256' ? 'EC' : 'RSA', alg, use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    expect(jwk.kid).toBe(await calculateJwkThumbprint(key.publicKey.export({ format: 'jwk' }) as never));
    await expect(importJWK({ ...jwk }, alg)).resolves.toBeDefined();
  });
});

describe('KmsSigner failures', () => {
  beforeEach(() => {
    // No back-off pauses between the client's attempts.
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => vi.restoreAllMocks());

  it('propagates a KMS Sign error, which the core answers as a bare server_error', async () => {
    // GIVEN
    const { kms, client } = await kmsWith(new FakeKmsKey('RS256'));
    kms.answerNext('Sign', {
      status: 400,
      body: { __type: 'KMSInvalidStateException', message: `${KEY_ID} is pending deletion` },
    });
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg: 'RS256' });

    // WHEN
    const failure = await signer.sign(Buffer.from('a.b')).catch((err: unknown) => err);

    // THEN
    expect(failure).toMatchObject({ name: 'KMSInvalidStateException', $fault: 'client' });
    expect(kms.calls.get('Sign')).toBe(1);
    const oauth = toOAuthError(failure);
    expect(oauth).toMatchObject({ error: 'server_error', status: 500 });
    expect(oauth.description).not.toContain(KEY_ID);
  });

  it('forgets a failed GetPublicKey so the next request retries', async () => {
    // GIVEN: throttled for all three attempts of the first call.
    const { kms, client } = await kmsWith(new FakeKmsKey('ES256'));
    const throttled = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
    kms.answerNext('GetPublicKey', throttled, throttled, throttled);
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg: 'ES256' });

    // WHEN
    const first = await signer.publicJwk().catch((err: unknown) => err);
    const second = await signer.publicJwk();
    const third = await signer.publicJwk();

    // THEN
    expect(first).toMatchObject({ error: 'temporarily_unavailable' });
    expect(second.kty).toBe('EC');
    expect(third).toBe(second);
    expect(kms.calls.get('GetPublicKey')).toBe(4);
  });

  it.each<[string, SigningAlg, SigningAlg]>([
    ['an RSA key configured for ES256', 'RS256', 'ES256'],
    ['a P-256 key configured for RS256', 'ES256', 'RS256'],
  ])('refuses %s', async (_name, keyAlg, alg) => {
    // GIVEN
    const { client } = await kmsWith(new FakeKmsKey(keyAlg));
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg });

    // WHEN / THEN
    await expect(signer.publicJwk()).rejects.toThrow(`cannot sign ${alg}`);
  });

  it('refuses a secp256k1 key, which KMS also offers ECDSA_SHA_256 for', async () => {
    // GIVEN
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const { client } = await kmsWith({
      getPublicKey: (keyId) => ({
        KeyId: keyId,
        KeySpec: 'ECC_SECG_P256K1',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
        PublicKey: publicKey.export({ format: 'der', type: 'spki' }),
      }),
    });
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg: 'ES256' });

    // WHEN / THEN
    await expect(signer.publicJwk()).rejects.toThrow(`KMS key ${KEY_ID} is not a P-256 key.`);
  });

  it('fails cleanly when KMS returns no signature', async () => {
    // GIVEN
    const { kms, client } = await kmsWith(new FakeKmsKey('PS256'));
    kms.answerNext('Sign', { status: 200, body: { KeyId: KEY_ID } });
    const signer = new KmsSigner({ client, keyId: KEY_ID, alg: 'PS256' });

    // WHEN / THEN
    await expect(signer.sign(Buffer.from('a.b'))).rejects.toThrow('no signature');
  });
});

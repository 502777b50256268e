// The local signer: JWS it signs verify with jose against its published JWK, and its key file is reused.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSigner } from '../../lambdas/adapters/key-file/signer.js';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-signer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function signJws(signer: LocalSigner, payload: unknown): Promise<string> {
  const jwk = await signer.publicJwk();
  const input = `${b64url({ alg: signer.alg, kid: jwk.kid, typ: 'JWT' })}.${b64url(payload)}`;
  const signature = await signer.sign(new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

describe.each<SigningAlg>(['RS256', 'ES256', 'PS256'])('LocalSigner %s', (alg) => {
  const file = () => join(dir, `${alg}.pem`);

  it('signs a JWS that jose verifies with the published JWK', async () => {
    const signer = await LocalSigner.load({ file: file(), alg });
    const jwk = await signer.publicJwk();
    const jws = await signJws(signer, { sub: 'alice' });

    const { payload, protectedHeader } = await compactVerify(jws, await importJWK({ ...jwk }, alg));

    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: 'alice' });
    expect(protectedHeader).toMatchObject({ alg, kid: jwk.kid });
    expect(jwk).toMatchObject({ alg, use: 'sig', kty: alg === 'ES256' ? 'EC' : 'RSA' });
    expect(jwk.kid).toBe(await calculateJwkThumbprint({ ...jwk }, 'sha256'));
    expect(JSON.stringify(jwk)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
  });

  it('keeps the key in a 0600 PEM file and reuses it on later loads', async () => {
    const first = await LocalSigner.load({ file: file(), alg });
    const pem = await readFile(file(), 'utf8');
    const second = await LocalSigner.load({ file: file(), alg });

    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect((await second.publicJwk()).kid).toBe((await first.publicJwk()).kid);
    expect(await readFile(file(), 'utf8')).toBe(pem);
  });
});

describe('LocalSigner key file', () => {
  it('defaults to RS256', async () => {
    const signer = await LocalSigner.load({ file: join(dir, 'default.pem') });
    expect(signer.alg).toBe('RS256');
  });

  it('agrees on one key when several starts create it at once', async () => {
    const file = join(dir, 'race', 'key.pem');
    const signers = await Promise.all(Array.from({ length: 5 }, () => LocalSigner.load({ file, alg: 'ES256' })));
    const kids = await Promise.all(signers.map(async (s) => (await s.publicJwk()).kid));
    expect(new Set(kids).size).toBe(1);
  });

  it('refuses a key file that does not fit the algorithm', async () => {
    const file = join(dir, 'mismatch.pem');
    await LocalSigner.load({ file, alg: 'ES256' });
    await expect(LocalSigner.load({ file, alg: 'RS256' })).rejects.toThrow(/does not hold a key for RS256/);
  });

  it('refuses a file that is not a key', async () => {
    const file = join(dir, 'garbage.pem');
    await writeFile(file, 'not a key');
    await expect(LocalSigner.load({ file })).rejects.toThrow();
  });
});

// A Signer backed by a private key file under `.local/`, the local stand-in for the KMS signer.
import { constants, createPrivateKey, generateKeyPair, type KeyObject, randomUUID, sign } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { PublicJwk, Signer, SigningAlg } from '../../core/ports/signing.js';
import { keyFits, publicJwkOf } from '../public-jwk.js';

export interface LocalSignerOptions {
  /** PEM file of the private key (PKCS #8); generated with mode 0600 on first use and reused afterwards. */
  readonly file: string;
  /** @default 'RS256', the deployed default */
  readonly alg?: SigningAlg;
}

const generate = promisify(generateKeyPair);
const signAsync = promisify(sign);

/** RSA-2048 and P-256: the key specs KMS uses for the same algorithms. */
async function newPrivateKeyPem(alg: SigningAlg): Promise<string> {
  const { privateKey } =
    alg === 'ES256' ? await generate('ec', { namedCurve: 'P-256' }) : await generate('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Returns the key in `file`, creating it first if there is none. The new key is written to a
 * private temporary file and hard-linked into place, so concurrent starts never see a partial
 * file and agree on one key: whoever links second reads the winner's.
 */
async function loadOrCreateKey(file: string, alg: SigningAlg): Promise<KeyObject> {
  try {
    return createPrivateKey(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, await newPrivateKeyPem(alg), { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
  return createPrivateKey(await readFile(file, 'utf8'));
}

/** What `alg` needs the key to be; a file holding another kind of key is refused rather than silently replaced. */
function checkKeyFits(key: KeyObject, alg: SigningAlg, file: string): void {
  if (!keyFits(key, alg))
    throw new Error(`${file} does not hold a key for ${alg}; delete it to have a new one generated.`);
}

export class LocalSigner implements Signer {
  private constructor(
    readonly alg: SigningAlg,
    private readonly key: KeyObject,
    private readonly jwk: PublicJwk,
  ) {}

  /** Loads the key kept in `file`, generating it on the first start. */
  static async load(opts: LocalSignerOptions): Promise<LocalSigner> {
    const alg = opts.alg ?? 'RS256';
    const key = await loadOrCreateKey(opts.file, alg);
    checkKeyFits(key, alg, opts.file);
    return new LocalSigner(alg, key, await publicJwkOf(key, alg));
  }

  async publicJwk(): Promise<PublicJwk> {
    return this.jwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    switch (this.alg) {
      case 'RS256':
        return signAsync('sha256', signingInput, this.key);
      case 'PS256':
        // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
        return signAsync('sha256', signingInput, {
          key: this.key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        });
      case 'ES256':
        // JWS wants the fixed-size r||s form, not the DER that node:crypto produces by default.
        return signAsync('sha256', signingInput, { key: this.key, dsaEncoding: 'ieee-p1363' });
    }
  }
}

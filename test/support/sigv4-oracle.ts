// The AWS SDK's own SigV4 signer (`@smithy/signature-v4`), as the oracle our signer and clients are checked against.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import type { AwsCredentials } from '../../lambdas/adapters/aws/credentials.js';

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** node:crypto's SHA-256 in the shape the SDK signer takes (an HMAC when constructed with a secret). */
class Sha256 {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

export interface OracleRequest {
  readonly host: string;
  /** Lower-case names; `host` is added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly date: Date;
}

/** The headers the SDK sends for a JSON protocol POST to `/`, names in lower case. */
export async function sdkSigned(r: OracleRequest): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: r.service,
    region: r.region,
    credentials: r.credentials,
    sha256: Sha256,
    // The JSON protocol clients of DynamoDB, KMS and Secrets Manager send no x-amz-content-sha256.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: r.host,
      path: '/',
      query: {},
      headers: { ...r.headers, host: r.host },
      body: r.body,
    },
    { signingDate: r.date },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
}

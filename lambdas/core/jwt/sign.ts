// JWS compact serialization (RFC 7515 §7.1), built here and signed by whichever Signer the workspace has.
import type { Signer } from '../ports/signing.js';

const b64url = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

export interface JwtHeader {
  readonly typ: 'JWT' | 'at+jwt';
}

export async function signJwt(
  signer: Signer,
  header: JwtHeader,
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  const { kid } = await signer.publicJwk();
  const signingInput = `${b64url(JSON.stringify({ alg: signer.alg, kid, ...header }))}.${b64url(JSON.stringify(payload))}`;
  const signature = await signer.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${b64url(signature)}`;
}

// The KMS keys of a deployed Lambda: imported by the handler modules whose endpoints sign or verify tokens.
import { AwsJsonClient, KMS } from '../adapters/aws/json-client.js';
import { countFailedCalls } from '../adapters/aws-errors.js';
import { KmsSigner } from '../adapters/kms/signer.js';
import type { Signer, SigningAlg } from '../core/ports/signing.js';

let client: AwsJsonClient | undefined;

/**
 * The KMS key `keyId`, for `workspaceFromEnvironment`: its public key is read once per container (`GetPublicKey`),
 * each signature is one `Sign`. One client per container, created on first use (region, credentials and
 * `AWS_ENDPOINT_URL_KMS` from the environment); its failed calls count towards the request's KmsErrors.
 */
export function kmsSigner(keyId: string, alg: SigningAlg): Signer {
  client ??= countFailedCalls(new AwsJsonClient({ service: KMS }));
  return new KmsSigner({ client, keyId, alg });
}

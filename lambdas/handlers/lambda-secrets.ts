// Secrets Manager for a deployed Lambda: imported by the handler module that completes federated sign-ins.
import { AwsJsonClient, SECRETS_MANAGER } from '../adapters/aws/json-client.js';
import { secretsManagerSecrets } from '../adapters/secrets-manager/source-secrets.js';
import type { SecretSource } from '../adapters/http/upstream-oidc.js';

let client: AwsJsonClient | undefined;

/**
 * The identity sources' client secrets by source id, read from the ARNs configured for them, once per container.
 * One client per container, created on first use (only a workspace with identity sources reads secrets).
 */
export function secretsManagerReader(arns: ReadonlyMap<string, string>): SecretSource {
  client ??= new AwsJsonClient({ service: SECRETS_MANAGER });
  return secretsManagerSecrets(client, arns);
}

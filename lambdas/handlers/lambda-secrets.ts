// Secrets Manager for a deployed Lambda: imported by the handler module that completes federated sign-ins.
import { AWS_CLIENT_LIMITS } from '../adapters/aws-faults.js';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerSecrets } from '../adapters/secrets-manager/source-secrets.js';
import type { SecretSource } from '../adapters/http/upstream-oidc.js';

let client: SecretsManagerClient | undefined;

/**
 * The identity sources' client secrets by source id, read from the ARNs configured for them, once per container.
 * One SDK client per container, created on first use (only a workspace with identity sources reads secrets).
 */
export function secretsManagerReader(arns: ReadonlyMap<string, string>): SecretSource {
  client ??= new SecretsManagerClient({ ...AWS_CLIENT_LIMITS });
  return secretsManagerSecrets(client, arns);
}

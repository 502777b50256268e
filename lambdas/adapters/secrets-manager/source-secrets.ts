// Our client secrets at the identity sources, read from Secrets Manager at run time and kept for the container's life.
import type { AwsJsonClient } from '../aws/json-client.js';
import { parseFields } from '../../core/registration/field-checker.js';
import { UpstreamUnavailable } from '../../core/ports/upstream.js';
import type { SecretSource } from '../http/upstream-oidc.js';

/** The field of a JSON secret value that holds the client secret; a plain-text value is the secret itself. */
export const SOURCE_SECRET_FIELD = 'clientSecret';

/** The secret value: JSON with `clientSecret`, or the secret itself as plain text. */
export function clientSecretOf(value: string | undefined): string | undefined {
  const fields = parseFields(value);
  const secret = fields ? fields[SOURCE_SECRET_FIELD] : value?.trim();
  return typeof secret === 'string' && secret !== '' ? secret : undefined;
}

/**
 * Reads each source's secret once per container (by the ARN configured for it) and keeps it in memory; a failed
 * read is not kept, so the next sign-in tries again. The secret never enters the environment or a log.
 */
export function secretsManagerSecrets(client: AwsJsonClient, arns: ReadonlyMap<string, string>): SecretSource {
  const cache = new Map<string, Promise<string>>();
  const read = async (sourceId: string): Promise<string> => {
    const arn = arns.get(sourceId);
    if (arn === undefined) throw new UpstreamUnavailable(`no secret configured for source ${sourceId}`);
    let SecretString: unknown;
    try {
      ({ SecretString } = await client.send('GetSecretValue', { SecretId: arn }));
    } catch (err) {
      throw new UpstreamUnavailable(`the secret of source ${sourceId} cannot be read (${(err as Error).name})`);
    }
    const secret = clientSecretOf(typeof SecretString === 'string' ? SecretString : undefined);
    if (secret === undefined) throw new UpstreamUnavailable(`the secret of source ${sourceId} holds no client secret`);
    return secret;
  };
  return (sourceId) => {
    let secret = cache.get(sourceId);
    if (secret === undefined) {
      secret = read(sourceId);
      secret.catch(() => cache.delete(sourceId));
      cache.set(sourceId, secret);
    }
    return secret;
  };
}

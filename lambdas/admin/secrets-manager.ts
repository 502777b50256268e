// Delivers a rotated client secret into the Secrets Manager secret the construct created for that client.
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseFields } from '../core/registration/field-checker.js';
import { CLIENT_SECRET_FIELD } from '../custom-resources/client-sync-contract.js';
import type { SecretDestination } from './clients.js';
import { AdminError, UsageError } from './errors.js';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/;

/** The region a secret lives in, from its ARN: the Secrets Manager client must be in that region. */
export function regionOfSecret(secretArn: string): string {
  const region = SECRET_ARN.exec(secretArn)?.[1];
  if (region === undefined)
    throw new UsageError(`--secret-arn must be a Secrets Manager secret ARN, not "${secretArn}".`);
  return region;
}

/**
 * Writes the secret in the construct's format (a JSON object with `clientId` and the secret), keeping any
 * other fields. The deploy-time client sync reads this secret, so a rotation stored here also survives
 * the next deployment. A secret that names another client is refused: that ARN is the wrong one.
 */
export function secretsManagerDestination(client: SecretsManagerClient, secretArn: string): SecretDestination {
  return {
    deliver: async (clientId, secret) => {
      const current = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      const fields = parseFields(current.SecretString);
      if (fields === undefined)
        throw new AdminError(`Secret ${secretArn} is not a client secret: it does not hold a JSON object.`);
      if (fields.clientId !== undefined && fields.clientId !== clientId) {
        throw new AdminError(`Secret ${secretArn} belongs to client "${String(fields.clientId)}", not "${clientId}".`);
      }
      const value = { ...fields, clientId, [CLIENT_SECRET_FIELD]: secret };
      await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(value) }));
    },
  };
}

// Custom resource (Provider framework onEvent): writes the clients declared in CDK into the workspace table.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DynamoDb } from '../adapters/aws/dynamodb.js';
import { AwsJsonClient, SECRETS_MANAGER } from '../adapters/aws/json-client.js';
import { dynamoStores } from '../adapters/dynamodb/stores.js';
import { hashClientSecret } from '../core/crypto.js';
import type { ClientRecord } from '../core/model.js';
import { log } from '../adapters/log.js';
import { CLIENT_SECRET_FIELD, type ClientSyncProperties, type DeclaredClient } from './client-sync-contract.js';

const secrets = new AwsJsonClient({ service: SECRETS_MANAGER });
const dynamo = DynamoDb.create();

interface ProviderResponse {
  readonly PhysicalResourceId: string;
}

const declaredClients = (props: ClientSyncProperties | undefined): DeclaredClient[] =>
  props ? (JSON.parse(props.Clients) as DeclaredClient[]) : [];

/** Reads the generated secret and keeps only its hash; the secret itself is never logged or returned. */
async function toRecord({ secretArn, ...registration }: DeclaredClient): Promise<ClientRecord> {
  if (!secretArn) return registration;
  const { SecretString } = await secrets.send('GetSecretValue', { SecretId: secretArn });
  const secret =
    typeof SecretString === 'string'
      ? (JSON.parse(SecretString) as Record<string, unknown>)[CLIENT_SECRET_FIELD]
      : undefined;
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new Error(`Secret of client ${registration.clientId} has no ${CLIENT_SECRET_FIELD} field.`);
  }
  return { ...registration, secretHash: hashClientSecret(secret) };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> {
  const props = event.ResourceProperties as unknown as ClientSyncProperties;
  const physicalResourceId = `${props.TableName}/clients`;
  // Deleting would be wrong twice over: on replacement CloudFormation deletes the old resource after the
  // new one has written the same clients, and a deleted workspace takes its table (or keeps it) anyway.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const { directory } = dynamoStores({ client: dynamo, tableName: props.TableName, clientCacheSeconds: 0 });
  const declared = declaredClients(props);
  const old =
    event.RequestType === 'Update' ? (event.OldResourceProperties as unknown as ClientSyncProperties) : undefined;
  // Only clients this resource declared before are removed: clients added by the admin tooling stay.
  const dropped =
    old?.TableName === props.TableName
      ? declaredClients(old)
          .filter((o) => !declared.some((d) => d.clientId === o.clientId))
          .map((o) => o.clientId)
      : [];

  await Promise.all(declared.map(async (client) => directory.putClient(await toRecord(client))));
  await Promise.all(dropped.map((clientId) => directory.deleteClient(clientId)));
  log.info('clients synced', {
    requestType: event.RequestType,
    tableName: props.TableName,
    upserted: declared.map((c) => c.clientId),
    removed: dropped,
  });
  return { PhysicalResourceId: physicalResourceId };
}

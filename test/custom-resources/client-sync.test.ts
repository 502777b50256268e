// The client-sync custom resource against DynamoDB Local, with a Secrets Manager stand-in on loopback.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { hashClientSecret } from '../../lambdas/core/crypto.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import type { ClientSyncProperties, DeclaredClient } from '../../lambdas/custom-resources/client-sync-contract.js';
import { newTestStore, type TestStore } from '../support/dynamo.js';
import { captureLines } from '../support/log-capture.js';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../support/secrets-manager-stand-in.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:backend-AbCdEf';
const SECRET = 'q9TQkS1n4VQ0y3u7pHfX2bL8mZr5cWjE6aGdK0oYtNiRvUx1sB3eC7lM9wJhP2fA';

const spa: ClientRegistration = {
  clientId: 'spa',
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code'],
  scopes: ['openid'],
  firstParty: true,
};
const backend: DeclaredClient = {
  clientId: 'backend',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: [],
  grantTypes: ['client_credentials'],
  scopes: ['orders:read'],
  secretArn: SECRET_ARN,
};

const props = (tableName: string, clients: DeclaredClient[]): ClientSyncProperties => ({
  TableName: tableName,
  Clients: JSON.stringify(clients),
  SecretGeneration: '{}',
});

function event(
  type: 'Create' | 'Update' | 'Delete',
  next: ClientSyncProperties,
  old?: ClientSyncProperties,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
    ResponseURL: 'https://example.com/response',
    StackId: 'stack',
    RequestId: 'request',
    LogicalResourceId: 'Clients',
    ResourceType: 'Custom::AuthorizationServerClients',
    ResourceProperties: { ServiceToken: 'token', ...next },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update')
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: 'id',
      OldResourceProperties: { ServiceToken: 'token', ...old },
    };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'id' };
}

describe('client sync', () => {
  let secrets: SecretsManagerStandIn;
  let handler: (e: CloudFormationCustomResourceEvent) => Promise<{ PhysicalResourceId: string }>;
  let t: TestStore;

  beforeAll(async () => {
    // The handler's clients live at module scope and read their endpoint from the environment, as in Lambda.
    secrets = await startSecretsManagerStandIn();
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoDbEndpoint'));
    vi.stubEnv('AWS_REGION', 'local');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    ({ handler } = await import('../../lambdas/custom-resources/client-sync.js'));
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await secrets.stop();
  });

  beforeEach(async () => {
    t = await newTestStore({ clientCacheSeconds: 0 });
    secrets.values.clear();
    secrets.requests.length = 0;
    secrets.values.set(SECRET_ARN, JSON.stringify({ clientId: 'backend', clientSecret: SECRET }));
  });

  it('writes the declared clients, a confidential one with only the hash of its generated secret', async () => {
    // GIVEN
    const lines: string[] = [];
    vi.stubEnv('AUTHZ_LOG', 'on');
    const capturing = captureLines(lines);

    // WHEN
    const res = await handler(event('Create', props(t.tableName, [spa, backend])));
    capturing.restore();

    // THEN
    expect(res.PhysicalResourceId).toBe(`${t.tableName}/clients`);
    expect(secrets.requests).toEqual([SECRET_ARN]);
    expect(await t.stores.clients.get('spa')).toEqual(spa);
    const { secretArn: _, ...registration } = backend;
    expect(await t.stores.clients.get('backend')).toEqual({ ...registration, secretHash: hashClientSecret(SECRET) });
    expect(JSON.stringify(await t.stores.directory.listClients())).not.toContain(SECRET);
    expect(lines.join('\n')).toContain('clients synced');
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('removes clients dropped from the declaration and leaves clients added by the admin tooling', async () => {
    // GIVEN
    const before = props(t.tableName, [spa, backend]);
    await handler(event('Create', before));
    await t.stores.directory.putClient({ ...spa, clientId: 'added-by-admin' });

    // WHEN
    await handler(event('Update', props(t.tableName, [{ ...spa, clientName: 'Renamed' }]), before));

    // THEN
    expect((await t.stores.directory.listClients()).map((c) => c.clientId).sort()).toEqual(['added-by-admin', 'spa']);
    expect((await t.stores.clients.get('spa'))?.clientName).toBe('Renamed');
  });

  it('leaves the clients in place when the resource is deleted (replacement deletes after the new one wrote)', async () => {
    // GIVEN
    const declared = props(t.tableName, [spa]);
    await handler(event('Create', declared));

    // WHEN
    const res = await handler(event('Delete', declared));

    // THEN
    expect(res.PhysicalResourceId).toBe('id');
    expect(await t.stores.clients.get('spa')).toBeDefined();
  });

  it('fails the deployment when a secret has no client secret in it', async () => {
    // GIVEN
    secrets.values.set(SECRET_ARN, '{"clientId":"backend"}');

    // WHEN / THEN
    await expect(handler(event('Create', props(t.tableName, [backend])))).rejects.toThrow('has no clientSecret field');
    expect(await t.stores.clients.get('backend')).toBeUndefined();
  });
});

// Client administration against DynamoDB Local: secret rotation to stdout or Secrets Manager, and listing without hashes.
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, expect, it } from 'vitest';
import { listClients, printClients, printSecret, rotateClientSecret } from '../../lambdas/admin/clients.js';
import { AdminError } from '../../lambdas/admin/errors.js';
import { secretsManagerDestination } from '../../lambdas/admin/secrets-manager.js';
import { hashClientSecret, verifyClientSecret } from '../../lambdas/core/crypto.js';
import type { ClientRecord } from '../../lambdas/core/model.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';
import { capture } from './streams.js';

const OLD_SECRET = 'the-secret-generated-at-deploy-time';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:backend-AbCdEf';

const backend: ClientRecord = {
  clientId: 'backend',
  clientName: 'Backend',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code', 'client_credentials'],
  scopes: ['openid'],
  secretHash: hashClientSecret(OLD_SECRET),
};
const spa: ClientRecord = {
  clientId: 'spa',
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code'],
  scopes: ['openid'],
};

let t: TestStore;
beforeEach(async () => {
  t = await newTestStore({ clientCacheSeconds: 0 });
  await Promise.all([t.stores.directory.putClient(backend), t.stores.directory.putClient(spa)]);
});

const storedHash = async (clientId: string) => (await t.stores.clients.get(clientId))?.secretHash;

it('prints a new 256-bit secret once; it verifies against the stored hash and the old one no longer does', async () => {
  const out = capture();

  await rotateClientSecret(t.stores, 'backend', printSecret(out.stream));

  const [secret, ...rest] = out.text().split('\n');
  expect(rest).toEqual(['']);
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const hash = await storedHash('backend');
  expect(verifyClientSecret(secret!, hash)).toBe(true);
  expect(verifyClientSecret(OLD_SECRET, hash)).toBe(false);
  expect(await t.stores.clients.get('backend')).toEqual({ ...backend, secretHash: hash });
});

it('refuses an unknown client and a public client, and changes nothing', async () => {
  const out = capture();

  await expect(rotateClientSecret(t.stores, 'nope', printSecret(out.stream))).rejects.toThrow(
    new AdminError('There is no client "nope" in this workspace.'),
  );
  await expect(rotateClientSecret(t.stores, 'spa', printSecret(out.stream))).rejects.toThrow(
    'Client "spa" authenticates with "none", so it has no secret to rotate.',
  );
  expect(out.text()).toBe('');
  expect(await t.stores.clients.get('spa')).toEqual(spa);
});

it('writes the new secret into Secrets Manager in the construct format, keeping other fields, and prints nothing', async () => {
  const secrets = new SecretsManagerClient({ region: 'eu-west-1' });
  const sm = mockClient(secrets);
  sm.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ clientId: 'backend', clientSecret: OLD_SECRET, note: 'kept' }),
  });
  sm.on(PutSecretValueCommand).resolves({});

  await rotateClientSecret(t.stores, 'backend', secretsManagerDestination(secrets, SECRET_ARN));

  const [put] = sm.commandCalls(PutSecretValueCommand);
  expect(put?.args[0].input.SecretId).toBe(SECRET_ARN);
  const written = JSON.parse(put?.args[0].input.SecretString ?? '');
  expect(written).toEqual({ clientId: 'backend', clientSecret: expect.any(String), note: 'kept' });
  expect(verifyClientSecret(written.clientSecret, await storedHash('backend'))).toBe(true);
});

it('refuses a Secrets Manager secret of another client, and keeps the old secret working', async () => {
  const secrets = new SecretsManagerClient({ region: 'eu-west-1' });
  const sm = mockClient(secrets);
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ clientId: 'other', clientSecret: 'x' }) });

  await expect(rotateClientSecret(t.stores, 'backend', secretsManagerDestination(secrets, SECRET_ARN))).rejects.toThrow(
    `Secret ${SECRET_ARN} belongs to client "other", not "backend".`,
  );
  expect(sm.commandCalls(PutSecretValueCommand)).toEqual([]);
  expect(verifyClientSecret(OLD_SECRET, await storedHash('backend'))).toBe(true);
});

it('lists clients sorted by id, as a table or as JSON, saying whether a secret is set but never its hash', async () => {
  const clients = await listClients(t.stores);
  const text = capture();
  printClients(clients, text.stream, false);
  const json = capture();
  printClients(clients, json.stream, true);

  expect(text.text().split('\n')).toEqual([
    expect.stringMatching(/^CLIENT_ID +AUTH_METHOD +SECRET +NAME$/),
    expect.stringMatching(/^backend +client_secret_basic +set +Backend$/),
    expect.stringMatching(/^spa +none +-$/),
    '',
  ]);
  const { secretHash: _, ...registration } = backend;
  expect(JSON.parse(json.text())).toEqual([
    { ...registration, hasSecret: true },
    { ...spa, hasSecret: false },
  ]);
  for (const output of [text.text(), json.text()]) expect(output).not.toMatch(/sha256|secretHash/);
});

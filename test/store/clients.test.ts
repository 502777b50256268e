// Clients against DynamoDB Local: the per-container cache, and the admin operations that keep it honest.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/dynamodb/keys.js';
import type { ClientRecord } from '../../lambdas/core/model.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';

const web: ClientRecord = {
  clientId: 'web',
  clientName: 'Example web app',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'profile'],
  audience: ['https://api.example.com'],
  firstParty: false,
  secretHash: 'sha256$abc',
};

let t: TestStore;
let clockMs: number;
beforeEach(async () => {
  clockMs = 1_000_000;
  t = await newTestStore({ clientCacheSeconds: 60, clock: { now: () => clockMs } });
});

/** Changes the stored client behind the store's back, as another container or the deploy-time sync would. */
const writeBehindTheCache = (record: ClientRecord) =>
  t.doc.send(new PutCommand({ TableName: t.tableName, Item: { ...record, pk: keys.client(record.clientId) } }));

it('serves a client from the cache until it expires, then reads it again', async () => {
  await t.stores.directory.putClient(web);
  expect(await t.stores.clients.get('web')).toEqual(web);

  await writeBehindTheCache({ ...web, clientName: 'Renamed' });
  clockMs += 59_999;
  expect((await t.stores.clients.get('web'))?.clientName).toBe('Example web app');

  clockMs += 1;
  expect((await t.stores.clients.get('web'))?.clientName).toBe('Renamed');
});

it('does not cache an unknown client, so a newly synced one is seen at once', async () => {
  expect(await t.stores.clients.get('web')).toBeUndefined();
  await writeBehindTheCache(web);
  expect(await t.stores.clients.get('web')).toEqual(web);
});

it('sees its own puts and deletes at once', async () => {
  await t.stores.directory.putClient(web);
  await t.stores.clients.get('web');

  await t.stores.directory.putClient({ ...web, scopes: ['openid'] });
  expect((await t.stores.clients.get('web'))?.scopes).toEqual(['openid']);

  await t.stores.directory.deleteClient('web');
  expect(await t.stores.clients.get('web')).toBeUndefined();
  await t.stores.directory.deleteClient('web');
});

it('lists every client and nothing else', async () => {
  const native: ClientRecord = { ...web, clientId: 'cli', applicationType: 'native', secretHash: undefined };
  await t.stores.directory.putClient(web);
  await t.stores.directory.putClient(native);
  await t.stores.directory.createUser({ sub: 's', username: 'alice', passwordHash: 'x', claims: {} });

  const listed = await t.stores.directory.listClients();

  expect(listed.sort((a, b) => a.clientId.localeCompare(b.clientId))).toEqual([native, web]);
  expect(listed[0]).not.toHaveProperty('secretHash');
});

// The deployed Lambda's workspace, built from the variables the construct sets.
import { describe, expect, it, vi } from 'vitest';
import { environmentResolver, workspaceFromEnvironment } from '../../lambdas/handlers/environment.js';
import { dynamoDbStorage } from '../../lambdas/handlers/lambda-dynamodb.js';
import { kmsSigner } from '../../lambdas/handlers/lambda-kms.js';
import { settingText, settingVariable } from '../../lambdas/handlers/environment-contract.js';
import { KmsSigner } from '../../lambdas/adapters/kms/signer.js';
import { DynamoClientStore } from '../../lambdas/adapters/dynamodb/clients.js';
import { DynamoGrantStore } from '../../lambdas/adapters/dynamodb/grants.js';
import { DynamoInteractionStore } from '../../lambdas/adapters/dynamodb/interactions.js';
import { DynamoSingleUse } from '../../lambdas/adapters/dynamodb/single-use.js';
import { DynamoLoginThrottle } from '../../lambdas/adapters/dynamodb/throttle.js';
import { DynamoIdentitySource } from '../../lambdas/adapters/dynamodb/users.js';
import { RemoteJwks } from '../../lambdas/adapters/http/remote-jwks.js';
import { defaultSettings } from '../../lambdas/core/workspace.js';
import { captureLines } from '../support/log-capture.js';

const env = {
  TABLE_NAME: 'ws-table',
  TENANT_ID: 'acme',
  WORKSPACE_ID: 'default',
  ISSUER: 'https://id.example.com/acme/default/',
  SIGNING_ALG: 'ES256',
  SIGNING_KEY_IDS: 'key-old, key-new',
  ACTIVE_SIGNING_KEY_ID: 'key-new',
};

/** What the token handler module brings: the table and the KMS keys. */
const aws = { storage: dynamoDbStorage, signer: kmsSigner };

describe('workspaceFromEnvironment', () => {
  it('builds the workspace with a KMS key ring and the DynamoDB store', () => {
    // WHEN
    const ws = workspaceFromEnvironment(env, aws);

    // THEN
    expect(ws).toMatchObject({
      tenantId: 'acme',
      workspaceId: 'default',
      issuer: 'https://id.example.com/acme/default',
    });
    expect(ws.clients).toBeInstanceOf(DynamoClientStore);
    expect(ws.interactions).toBeInstanceOf(DynamoInteractionStore);
    expect(ws.grants).toBeInstanceOf(DynamoGrantStore);
    expect(ws.throttle).toBeInstanceOf(DynamoLoginThrottle);
    expect(ws.singleUse).toBeInstanceOf(DynamoSingleUse);
    expect(ws.users).toBeInstanceOf(DynamoIdentitySource);
    expect(ws.clientKeys).toBeInstanceOf(RemoteJwks);
    expect(ws.keys.all).toHaveLength(2);
    expect(ws.keys.all.every((s) => s instanceof KmsSigner && s.alg === 'ES256')).toBe(true);
    expect(ws.keys.active).toBe(ws.keys.all[1]);
    expect(ws.settings).toEqual(defaultSettings);
  });

  it('overrides settings from their derived variables', () => {
    // WHEN
    const ws = workspaceFromEnvironment(
      {
        ...env,
        CODE_TTL: '30',
        ACCESS_TOKEN_TTL: '900',
        SESSION_TTL: '',
        REFRESH_TOKEN_IDLE_TTL: '3600',
        REFRESH_TOKEN_ABSOLUTE_TTL: '86400',
      },
      aws,
    );

    // THEN
    expect(settingVariable('accessTokenTtl')).toBe('ACCESS_TOKEN_TTL');
    expect(ws.settings).toEqual({
      ...defaultSettings,
      codeTtl: 30,
      accessTokenTtl: 900,
      refreshTokenIdleTtl: 3600,
      refreshTokenAbsoluteTtl: 86400,
    });
  });

  it('reads a yes/no setting as the construct writes it', () => {
    // GIVEN
    const name = settingVariable('requirePushedAuthorizationRequests');

    // WHEN
    const on = workspaceFromEnvironment({ ...env, [name]: settingText(true) }, aws);
    const off = workspaceFromEnvironment({ ...env, [name]: settingText(false) }, aws);

    // THEN
    expect(name).toBe('REQUIRE_PUSHED_AUTHORIZATION_REQUESTS');
    expect(on.settings).toEqual({ ...defaultSettings, requirePushedAuthorizationRequests: true });
    expect(off.settings).toEqual(defaultSettings);
  });

  it('reads the branding and scope descriptions the construct writes as JSON', () => {
    const branding = { displayName: 'Acme', primaryColor: '#8a1538', logoUrl: 'https://cdn.acme.example/l.svg' };
    const scopeDescriptions = { 'orders:read': { en: 'Read your orders', de: 'Ihre Bestellungen lesen' } };
    const ws = workspaceFromEnvironment(
      {
        ...env,
        BRANDING: JSON.stringify(branding),
        SCOPE_DESCRIPTIONS: JSON.stringify(scopeDescriptions),
      },
      aws,
    );
    expect(ws).toMatchObject({ branding, scopeDescriptions });
    expect(workspaceFromEnvironment(env, aws)).not.toHaveProperty('branding');
  });

  it.each([
    ['TABLE_NAME', { TABLE_NAME: undefined }],
    ['ISSUER', { ISSUER: ' ' }],
    ['SIGNING_ALG', { SIGNING_ALG: 'HS256' }],
    ['ACTIVE_SIGNING_KEY_ID', { ACTIVE_SIGNING_KEY_ID: 'key-other' }],
    ['ID_TOKEN_TTL', { ID_TOKEN_TTL: '1.5' }],
    ['CODE_TTL', { CODE_TTL: '-1' }],
    ['REQUIRE_PUSHED_AUTHORIZATION_REQUESTS', { REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'yes' }],
    ['REQUIRE_PUSHED_AUTHORIZATION_REQUESTS', { REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: '1' }],
    ['BRANDING', { BRANDING: '{"primaryColor":' }],
    ['BRANDING.primaryColor', { BRANDING: '{"primaryColor":"red"}' }],
    ['BRANDING.logoUrl', { BRANDING: '{"logoUrl":"http://localhost/logo.svg"}' }],
    ['SCOPE_DESCRIPTIONS.orders:read.xx', { SCOPE_DESCRIPTIONS: '{"orders:read":{"xx":"text"}}' }],
  ])('names %s when it is wrong', (name, override) => {
    expect(() => workspaceFromEnvironment({ ...env, ...override }, aws)).toThrow(name);
  });

  it('writes audit events as structured log lines with the workspace', () => {
    // GIVEN
    vi.stubEnv('AUTHZ_LOG', 'on');
    const lines: string[] = [];
    const capturing = captureLines(lines);
    const ws = workspaceFromEnvironment(env, aws);

    // WHEN
    ws.audit.emit('login.failed', { username: 'alice', reason: 'bad_password' });
    capturing.restore();
    vi.unstubAllEnvs();

    // THEN
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 'info',
      message: 'audit',
      event: 'login.failed',
      tenantId: 'acme',
      workspaceId: 'default',
      username: 'alice',
    });
  });
});

describe('the client cache', () => {
  it('lives as long as the workspace setting says, 60 seconds unless set', () => {
    // GIVEN
    const lifetimes: number[] = [];
    const storage = (tableName: string, clientCacheSeconds: number) => {
      lifetimes.push(clientCacheSeconds);
      return dynamoDbStorage(tableName, clientCacheSeconds);
    };

    // WHEN
    workspaceFromEnvironment(env, { storage });
    workspaceFromEnvironment({ ...env, CLIENT_CACHE_TTL: '5' }, { storage });

    // THEN
    expect(lifetimes).toEqual([60, 5]);
  });
});

describe('a handler module without some adapters', () => {
  it('has no storage: any use of it fails, naming the port', async () => {
    // WHEN
    const ws = workspaceFromEnvironment(env, { signer: kmsSigner });

    // THEN
    await expect(ws.clients.get('spa')).rejects.toThrow('clients.get: this function has no storage.');
    await expect(ws.grants.getCode('x')).rejects.toThrow('grants.getCode: this function has no storage.');
    expect(ws.keys.all.every((s) => s instanceof KmsSigner)).toBe(true);
  });

  it('has keys that know their algorithm only (discovery)', async () => {
    // WHEN
    const ws = workspaceFromEnvironment(env, {});

    // THEN
    expect(ws.keys.all.map((k) => k.alg)).toEqual(['ES256', 'ES256']);
    await expect(ws.keys.active.publicJwk()).rejects.toThrow('Key key-new: this function has no access to the keys.');
    await expect(ws.keys.active.sign(new Uint8Array(1))).rejects.toThrow('no access to the keys');
  });
});

describe('environmentResolver', () => {
  it('builds one workspace per container and serves it for every event', async () => {
    // GIVEN
    const resolve = environmentResolver(aws, env);

    // WHEN
    const first = await resolve({} as never);
    const second = await resolve({} as never);

    // THEN
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });
});

// A real workspace for tests: DynamoDB Local stores, a local signer, a clock the test controls, captured audit events.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteJwks } from '../../lambdas/adapters/http/remote-jwks.js';
import { LocalSigner } from '../../lambdas/adapters/key-file/signer.js';
import { hashClientSecret, hashPassword, newId } from '../../lambdas/core/crypto.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import type { AuditEventType } from '../../lambdas/core/ports/audit.js';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';
import {
  defaultSettings,
  NO_FEDERATION,
  type Federation,
  type Workspace,
  type WorkspaceSettings,
} from '../../lambdas/core/workspace.js';
import { newTestStore, type TestStore } from './dynamo.js';

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_SECRET = 'a-confidential-client-secret-of-48-characters!!';

export const publicClient: ClientRegistration = {
  clientId: 'spa',
  clientName: 'Single-page <app> & "friends"',
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['https://spa.example.com/callback', 'https://spa.example.com/other'],
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'email', 'orders:read'],
  audience: ['https://api.example.com'],
  postLogoutRedirectUris: ['https://spa.example.com/signed-out', 'https://spa.example.com/bye?from=authz'],
};

export const confidentialClient: ClientRegistration = {
  clientId: 'backend',
  clientName: 'Backend',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: ['https://backend.example.com/cb'],
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'email'],
};

export const postClient: ClientRegistration = {
  ...confidentialClient,
  clientId: 'poster',
  tokenEndpointAuthMethod: 'client_secret_post',
};

export const firstPartyClient: ClientRegistration = {
  ...publicClient,
  clientId: 'first',
  clientName: 'First party',
  redirectUris: ['https://first.example.com/cb'],
  firstParty: true,
};

/** The classic web app with a backend: client_secret_post and no PKCE required. */
export const classicClient: ClientRegistration = {
  clientId: 'classic',
  clientName: 'Classic web app',
  tokenEndpointAuthMethod: 'client_secret_post',
  redirectUris: ['https://classic.example.com/cb'],
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'email'],
  requirePkce: false,
};

/** A confidential client that must push its authorization requests (RFC 9126). */
export const pushingClient: ClientRegistration = {
  ...confidentialClient,
  clientId: 'pushing',
  redirectUris: ['https://pushing.example.com/cb'],
  requirePar: true,
};

export const nativeClient: ClientRegistration = {
  ...publicClient,
  clientId: 'cli',
  applicationType: 'native',
  redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8000/cb'],
};

/** A public client that gets refresh tokens (with `offline_access` for OpenID requests), for two APIs. */
export const offlineClient: ClientRegistration = {
  clientId: 'offline',
  clientName: 'Offline app',
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['https://offline.example.com/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'orders:read', 'orders:write'],
  audience: ['https://api.example.com', 'https://billing.example.com'],
};

/** A confidential client that gets refresh tokens. */
export const offlineBackend: ClientRegistration = {
  ...offlineClient,
  clientId: 'offline-backend',
  clientName: 'Offline backend',
  tokenEndpointAuthMethod: 'client_secret_basic',
};

/** A resource server: it may introspect tokens and does nothing else. */
export const resourceServer: ClientRegistration = {
  clientId: 'orders-api',
  clientName: 'Orders API',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: [],
  grantTypes: ['client_credentials'],
  scopes: [],
  introspection: true,
};

export interface TestWorkspace extends TestStore {
  readonly ws: Workspace;
  readonly clock: { now(): number; advance(seconds: number): void };
  readonly audit: { type: AuditEventType; fields: Record<string, unknown> }[];
  /** The `sub` of user `alice`. */
  readonly aliceSub: string;
}

let signerDir: string | undefined;

/**
 * `tenantId`/`workspaceId` (default `acme`/`main`) name the workspace and its issuer; `keyFile` names the signing key
 * file in the run's key directory (default `<alg>.pem`, so workspaces of one `alg` share a key unless told otherwise).
 */
export async function newTestWorkspace(
  opts: {
    settings?: Partial<WorkspaceSettings>;
    alg?: SigningAlg;
    tenantId?: string;
    workspaceId?: string;
    keyFile?: string;
    federation?: Federation;
  } = {},
): Promise<TestWorkspace> {
  const testStore = await newTestStore({ clientCacheSeconds: 0 });
  signerDir ??= mkdtempSync(join(tmpdir(), 'authz-keys-'));
  const signer = await LocalSigner.load({
    file: join(signerDir, opts.keyFile ?? `${opts.alg ?? 'RS256'}.pem`),
    alg: opts.alg ?? 'RS256',
  });
  // Real time: DynamoDB Local runs TTL deletion too, and would sweep items dated in the past.
  let now = Date.now();
  const clock = { now: () => now, advance: (s: number) => void (now += s * 1000) };
  const audit: TestWorkspace['audit'] = [];
  const { tenantId = 'acme', workspaceId = 'main' } = opts;
  const ws: Workspace = {
    tenantId,
    workspaceId,
    issuer: `https://auth.example.com/${tenantId}/${workspaceId}`,
    settings: { ...defaultSettings, ...opts.settings },
    clients: testStore.stores.clients,
    interactions: testStore.stores.interactions,
    grants: testStore.stores.grants,
    throttle: testStore.stores.throttle,
    singleUse: testStore.stores.singleUse,
    users: testStore.stores.users,
    linkedUsers: testStore.stores.linkedUsers,
    keys: { active: signer, all: [signer] },
    clock,
    audit: { emit: (type, fields) => void audit.push({ type, fields: { ...fields } }) },
    clientKeys: new RemoteJwks({ clock }),
    federation: opts.federation ?? NO_FEDERATION,
  };
  for (const c of [publicClient, firstPartyClient, nativeClient, offlineClient])
    await testStore.stores.directory.putClient(c);
  for (const c of [confidentialClient, postClient, classicClient, pushingClient, offlineBackend, resourceServer])
    await testStore.stores.directory.putClient({ ...c, secretHash: hashClientSecret(TEST_SECRET) });
  const aliceSub = newId();
  const passwordHash = await hashPassword(TEST_PASSWORD);
  await testStore.stores.directory.createUser({
    sub: aliceSub,
    username: 'alice',
    passwordHash,
    claims: { name: 'Alice <Liddell>', email: 'alice@example.com', email_verified: true },
  });
  await testStore.stores.directory.createUser({
    sub: newId(),
    username: 'mallory',
    passwordHash,
    claims: {},
    disabled: true,
  });
  return { ...testStore, ws, clock, audit, aliceSub };
}

// Builds the one workspace a deployed Lambda serves from the environment the construct sets, on the adapters its
// handler module brings: no AWS SDK client is imported here, so a bundle carries only the clients its endpoints use.
import { RemoteJwks } from '../adapters/http/remote-jwks.js';
import { type SecretSource, UpstreamOidc } from '../adapters/http/upstream-oidc.js';
import { checkIdentitySource, identitySourceSettings } from '../core/federation/identity-sources.js';
import { describeProblem, FieldChecker, type FieldProblem } from '../core/registration/field-checker.js';
import { systemClock } from '../core/ports/clock.js';
import { SIGNING_ALGS, type Signer, type SigningAlg } from '../core/ports/signing.js';
import type { RuntimeStores } from '../core/ports/storage.js';
import {
  defaultSettings,
  NO_FEDERATION,
  type Federation,
  type Workspace,
  type WorkspaceSettings,
} from '../core/workspace.js';
import { ENV, settingVariable, type SourceEnvironment } from './environment-contract.js';
import { auditLog } from '../adapters/log.js';
import type { WorkspaceResolver } from './workspace-resolver.js';
import {
  brandingProblems,
  scopeDescriptionsProblems,
  type Branding,
  type ScopeDescriptions,
} from '../core/pages/branding.js';

/** Module scope: published client keys are cached for every invocation the container serves. */
const clientKeys = new RemoteJwks();

/** The AWS adapters a handler module's endpoints use (see lambda-dynamodb.ts, lambda-kms.ts). */
export interface LambdaAdapters {
  /**
   * The storage ports on the workspace table, client records cached for `clientCacheSeconds`. Without it, any use of
   * storage fails: the function has none.
   */
  readonly storage?: (tableName: string, clientCacheSeconds: number) => RuntimeStores;
  /** A signing key of the workspace. Without it, the keys know their algorithm only (what discovery publishes). */
  readonly signer?: (keyId: string, alg: SigningAlg) => Signer;
  /**
   * The identity sources' client secrets, from the secret ARNs configured per source (see lambda-secrets.ts).
   * Without it, a federated sign-in finds the source unavailable: only the pages' function completes them.
   */
  readonly secrets?: (arns: ReadonlyMap<string, string>) => SecretSource;
}

/** No access to the identity sources' secrets. */
const noSecrets = (): SecretSource => (sourceId) =>
  Promise.reject(new Error(`Source ${sourceId}: this function has no access to the identity sources' secrets.`));

const noStorage = new Proxy({} as RuntimeStores, {
  get: (_, port) =>
    new Proxy(
      {},
      {
        get: (__, method) => () =>
          Promise.reject(new Error(`${String(port)}.${String(method)}: this function has no storage.`)),
      },
    ),
});

/** A key known by its algorithm alone. */
const algorithmOnly = (keyId: string, alg: SigningAlg): Signer => {
  const unavailable = () => Promise.reject(new Error(`Key ${keyId}: this function has no access to the keys.`));
  return { alg, publicJwk: unavailable, sign: unavailable };
};

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is not set.`);
  return value;
}

/** A setting's value as `settingText` wrote it, of the type of its default: a yes/no setting or a positive integer. */
function settingValue(name: string, raw: string, fallback: number | boolean): number | boolean {
  if (typeof fallback === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`Environment variable ${name} must be true or false.`);
    return raw === 'true';
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`Environment variable ${name} must be a positive integer.`);
  return value;
}

function settingsFrom(env: Env): WorkspaceSettings {
  const settings: Record<string, number | boolean> = { ...defaultSettings };
  for (const key of Object.keys(defaultSettings) as (keyof WorkspaceSettings)[]) {
    const name = settingVariable(key);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    settings[key] = settingValue(name, raw, defaultSettings[key]);
  }
  return settings as unknown as WorkspaceSettings;
}

/** An optional JSON variable, checked by `problems`: a deployment the construct did not write fails at once, by name. */
function jsonVariable<T>(
  env: Env,
  name: string,
  problems: (value: unknown, path: string) => readonly FieldProblem[],
): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`Environment variable ${name} must be JSON.`);
  }
  const [first] = problems(value, name);
  if (first) throw new Error(`Environment variable ${describeProblem(first)}.`);
  return value as T;
}

/** The identity sources `IDENTITY_SOURCES` lists, reaching their secrets through Secrets Manager. */
function federationFrom(env: Env, adapters: LambdaAdapters): Federation {
  const raw = env[ENV.identitySources];
  if (raw === undefined || raw.trim() === '') return NO_FEDERATION;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`Environment variable ${ENV.identitySources} is not JSON.`);
  }
  const c = new FieldChecker();
  const listed = c.array(value, ENV.identitySources);
  listed.forEach((s, i) => {
    const path = `${ENV.identitySources}[${i}]`;
    const f = checkIdentitySource(c, s, path, ['secretArn']);
    if (f && f.secretArn === undefined) c.report(`${path}.secretArn`, 'is required');
    else c.string(f?.secretArn, `${path}.secretArn`);
  });
  if (c.problems.length) throw new Error(`Environment variable ${c.problems.map(describeProblem).join('; ')}.`);
  const sources = listed as SourceEnvironment[];
  const arns = new Map(sources.map((s) => [s.id, s.secretArn]));
  return {
    sources: sources.map(identitySourceSettings),
    upstream: new UpstreamOidc({ clientSecret: (adapters.secrets ?? noSecrets)(arns) }),
  };
}

/** The workspace described by `env`; throws naming the variable when the deployment is misconfigured. */
export function workspaceFromEnvironment(env: Env, adapters: LambdaAdapters): Workspace {
  const tenantId = required(env, ENV.tenantId);
  const workspaceId = required(env, ENV.workspaceId);
  const alg = required(env, ENV.signingAlg) as SigningAlg;
  if (!(SIGNING_ALGS as readonly string[]).includes(alg))
    throw new Error(`Environment variable ${ENV.signingAlg} must be one of ${SIGNING_ALGS.join(', ')}.`);
  const keyIds = required(env, ENV.signingKeyIds)
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const activeId = required(env, ENV.activeSigningKeyId);
  const signer = adapters.signer ?? algorithmOnly;
  const signers = keyIds.map((keyId) => signer(keyId, alg));
  const active = signers[keyIds.indexOf(activeId)];
  if (!active) throw new Error(`Environment variable ${ENV.activeSigningKeyId} must be one of ${ENV.signingKeyIds}.`);
  const tableName = required(env, ENV.tableName);
  const settings = settingsFrom(env);
  const stores = adapters.storage?.(tableName, settings.clientCacheTtl) ?? noStorage;
  const branding = jsonVariable<Branding>(env, ENV.branding, brandingProblems);
  const scopeDescriptions = jsonVariable<ScopeDescriptions>(env, ENV.scopeDescriptions, scopeDescriptionsProblems);
  return {
    tenantId,
    workspaceId,
    ...(branding && { branding }),
    ...(scopeDescriptions && { scopeDescriptions }),
    issuer: required(env, ENV.issuer).replace(/\/+$/, ''),
    settings,
    clients: stores.clients,
    interactions: stores.interactions,
    grants: stores.grants,
    throttle: stores.throttle,
    singleUse: stores.singleUse,
    users: stores.users,
    linkedUsers: stores.linkedUsers,
    keys: { active, all: signers },
    clock: systemClock,
    audit: auditLog(tenantId, workspaceId),
    clientKeys,
    federation: federationFrom(env, adapters),
  };
}

/** One workspace per container, built on the first event and served for every event after it. */
export function environmentResolver(adapters: LambdaAdapters, env: Env = process.env): WorkspaceResolver {
  let workspace: Workspace | undefined;
  return async () => (workspace ??= workspaceFromEnvironment(env, adapters));
}

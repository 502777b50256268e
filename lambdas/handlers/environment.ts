// Builds the one workspace a deployed Lambda serves from the environment the construct sets.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { createDocumentClient, dynamoStores } from '../adapters/dynamodb/stores.js';
import { RemoteJwks } from '../adapters/http/remote-jwks.js';
import { KmsSigner } from '../adapters/kms/signer.js';
import { systemClock } from '../core/ports/clock.js';
import { SIGNING_ALGS, type SigningAlg } from '../core/ports/signing.js';
import { defaultSettings, type Workspace, type WorkspaceSettings } from '../core/workspace.js';
import { ENV, settingVariable } from './environment-contract.js';
import { auditLog } from '../adapters/log.js';
import { countFailedCalls } from '../adapters/aws-errors.js';
import type { WorkspaceResolver } from './workspace-resolver.js';
import {
  brandingProblems,
  scopeDescriptionsProblems,
  type Branding,
  type ScopeDescriptions,
} from '../core/pages/branding.js';
import { describeProblem, type FieldProblem } from '../core/registration/field-checker.js';

// Module scope: one client per container, reused by every invocation. Region, credentials and
// endpoint overrides (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_DYNAMODB) come from the environment. Their failed
// calls count towards the KmsErrors and DynamoDbErrors metrics of the request that made them.
const kms = countFailedCalls(new KMSClient({}), 'kms');
const dynamo = createDocumentClient(countFailedCalls(new DynamoDBClient({}), 'dynamodb'));
/** Module scope too: published client keys are cached for every invocation the container serves. */
const clientKeys = new RemoteJwks();

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

/** The workspace described by `env`; throws naming the variable when the deployment is misconfigured. */
export function workspaceFromEnvironment(env: Env = process.env): Workspace {
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
  const signers = keyIds.map((keyId) => new KmsSigner({ client: kms, keyId, alg }));
  const active = signers[keyIds.indexOf(activeId)];
  if (!active) throw new Error(`Environment variable ${ENV.activeSigningKeyId} must be one of ${ENV.signingKeyIds}.`);
  // The directory is for the admin tooling only: the endpoints get the runtime ports and nothing else.
  const { directory: _adminOnly, ...stores } = dynamoStores({
    client: dynamo,
    tableName: required(env, ENV.tableName),
  });
  const branding = jsonVariable<Branding>(env, ENV.branding, brandingProblems);
  const scopeDescriptions = jsonVariable<ScopeDescriptions>(env, ENV.scopeDescriptions, scopeDescriptionsProblems);
  return {
    tenantId,
    workspaceId,
    ...(branding && { branding }),
    ...(scopeDescriptions && { scopeDescriptions }),
    issuer: required(env, ENV.issuer).replace(/\/+$/, ''),
    settings: settingsFrom(env),
    ...stores,
    keys: { active, all: signers },
    clock: systemClock,
    audit: auditLog(tenantId, workspaceId),
    clientKeys,
  };
}

/** One workspace per container, built on the first event and served for every event after it. */
export function environmentResolver(env: Env = process.env): WorkspaceResolver {
  let workspace: Workspace | undefined;
  return async () => (workspace ??= workspaceFromEnvironment(env));
}

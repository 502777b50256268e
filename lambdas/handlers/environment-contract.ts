// The environment variables the construct sets and a deployed Lambda reads: one contract, two sides.
import type { IdentitySourceRegistration } from '../core/federation/identity-sources.js';
import type { WorkspaceSettings } from '../core/workspace.js';

/** Names of the variables that describe a workspace to its Lambdas. None of them holds a secret. */
export const ENV = {
  /** The workspace's DynamoDB table. */
  tableName: 'TABLE_NAME',
  tenantId: 'TENANT_ID',
  workspaceId: 'WORKSPACE_ID',
  /** `{base}/{tenantId}/{workspaceId}`, no trailing slash. */
  issuer: 'ISSUER',
  /** `RS256`, `PS256` or `ES256`; every key of the workspace uses it. */
  signingAlg: 'SIGNING_ALG',
  /** Comma-separated KMS key ids or ARNs, all published in the JWKS. */
  signingKeyIds: 'SIGNING_KEY_IDS',
  /** The one of `SIGNING_KEY_IDS` that signs. */
  activeSigningKeyId: 'ACTIVE_SIGNING_KEY_ID',
  /** Optional: the workspace's `Branding` as JSON. */
  branding: 'BRANDING',
  /** Optional: the workspace's `ScopeDescriptions` as JSON. */
  scopeDescriptions: 'SCOPE_DESCRIPTIONS',
  /** JSON array of `SourceEnvironment`: the identity sources, each with the ARN of its secret. Optional. */
  identitySources: 'IDENTITY_SOURCES',
} as const;

/** One identity source as `IDENTITY_SOURCES` lists it: its registration and where its secret is, never the secret. */
export interface SourceEnvironment extends IdentitySourceRegistration {
  /** The Secrets Manager secret holding our client secret at the source. */
  readonly secretArn: string;
}

/**
 * The optional variable overriding one of `defaultSettings`: `codeTtl` → `CODE_TTL`, `accessTokenTtl` →
 * `ACCESS_TOKEN_TTL`. Derived, so new settings need no new code. Its value is the setting as `settingText`
 * writes it: a positive integer (seconds or counts) or, for a yes/no setting, `true` or `false`.
 */
export const settingVariable = (name: keyof WorkspaceSettings): string =>
  name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** How the construct writes a setting's value into its variable; `workspaceFromEnvironment` reads it back. */
export const settingText = (value: number | boolean): string => String(value);

// What each endpoint's Lambda may do: the least-privilege table the construct turns into IAM policies.
import type { HandlerName } from '../../lambdas/handlers/manifest.js';

/** DynamoDB actions on the workspace table; transactions need the actions of the items they contain. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Scan';

/**
 * - `none`: no KMS access.
 * - `verify`: `kms:GetPublicKey` on every key of the workspace (to publish or verify with them).
 * - `sign`: that, and `kms:Sign` (conditioned on the algorithm) on the active key only. The signer reads the
 *   active key's public JWK for the `kid`; tokens presented back to it (revocation) may be signed by any key.
 */
export type KeyAccess = 'none' | 'verify' | 'sign';

export interface HandlerAccess {
  readonly table: readonly TableAction[];
  readonly keys: KeyAccess;
  /** Lambda CPU scales with memory. @default 512 */
  readonly memorySize?: number;
}

/**
 * Mirrors the storage calls each endpoint makes (see the stores in lambdas/adapters/dynamodb/, one module per
 * port); typed by the manifest so a new handler does not compile until its access is stated here. DynamoDB Local
 * enforces no IAM: test/core/iam-actions.test.ts drives every endpoint and fails on a call its function is not granted.
 */
export const handlerAccess: Readonly<Record<HandlerName, HandlerAccess>> = {
  // clients.get; the session, its user and the consent read together (BatchGetItem); putTransaction, and issueCode
  // without a transaction (a plain put).
  // PAR: singleUse.put of the pushed request (a conditional put), singleUse.consume of it (a conditional update),
  // a failed secret's counter (an update).
  // Verifies an id_token_hint with the public keys.
  authorize: {
    table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    keys: 'verify',
  },
  // Transaction, client, user and consent reads (at Allow, user, session and consent in one BatchGetItem); login-attempt counters (conditional updates);
  // recordLogin (update + put), issueCode (delete transaction + put code + put consent), discardTransaction.
  // Logout: getSession, clients.get, endSession (delete); verifies the id_token_hint with the public keys.
  // Identity sources: the upstream leg (singleUse.put, then consume: an update), linked users (a transaction of two
  // conditional puts, or a conditional update of the claims); reads the sources' secrets (granted by the construct).
  // scrypt password hashing is CPU-bound, hence the memory.
  consent: {
    table: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    keys: 'verify',
    memorySize: 1024,
  },
  // clients.get, getCode, getRefreshToken, findBySub; redeemCode (update code + put grant + put refresh token),
  // rotateRefreshToken (update token + put successor + condition check on the grant), revokeGrant (update),
  // revokeAccessToken (put), a client assertion's jti (singleUse.consume, an update) and a failed secret's counter
  // (an update). Signs tokens, and
  // verifies access tokens presented for revocation with every key.
  token: {
    table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
    keys: 'sign',
  },
  // Publishes the public keys and reads nothing else.
  jwks: { table: [], keys: 'verify' },
  // Metadata is computed from configuration alone.
  discovery: { table: [], keys: 'none' },
  // Verifies access tokens with the public keys; findBySub, clients.get, getRefreshToken; tokenStanding (BatchGetItem).
  // Introspection authenticates its caller: a failed secret's counter and a client assertion's jti are updates.
  userinfo: { table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], keys: 'verify' },
};

/** The deploy-time client sync: upserts declared clients and deletes dropped ones, by key. */
export const clientSyncTableActions: readonly TableAction[] = ['dynamodb:PutItem', 'dynamodb:DeleteItem'];

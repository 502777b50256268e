// The metrics the handlers log in CloudWatch Embedded Metric Format, shared by the request log and the CDK construct
// (its metric methods, dashboard and alarms); no imports, so the construct loads no SDK.

/** The CloudWatch namespace when the construct does not name one. */
export const DEFAULT_METRICS_NAMESPACE = 'AuthorizationServer';

/** The environment variable holding the namespace a deployed Lambda logs its metrics under. */
export const METRICS_NAMESPACE_VARIABLE = 'METRICS_NAMESPACE';

/** Dimension names. None identifies a user, a client or an address: their values are few and fixed. */
export const DIMENSION = {
  /** `{tenantId}/{workspaceId}`. */
  workspace: 'Workspace',
  /** A route of the manifest, `METHOD /path` relative to the issuer, or `other`. */
  endpoint: 'Endpoint',
  /** The OAuth error code of a refused or failed request (`invalid_grant`, `server_error`, …). */
  error: 'Error',
  /** The grant type a token response was issued for. */
  grantType: 'GrantType',
} as const;

/** The `Endpoint` value of a request that matched no route of the workspace. */
export const OTHER_ENDPOINT = 'other';

/** Metric names; the dimension sets each is published under are listed with it. */
export const METRIC = {
  /** Milliseconds from event to response. [Workspace, Endpoint], [Workspace]; SampleCount is the request count. */
  latency: 'Latency',
  /** Requests answered with an OAuth error. [Workspace, Endpoint, Error], [Workspace, Error]. */
  errors: 'Errors',
  /** Token responses. [Workspace, GrantType], [Workspace]. */
  tokensIssued: 'TokensIssued',
  /** Sign-ins refused for a wrong username or password or a disabled user. [Workspace]. */
  loginFailures: 'LoginFailures',
  /** Sign-ins refused by the failed-login throttle. [Workspace]. */
  loginThrottles: 'LoginThrottles',
  /** A used code, a rotated refresh token or a used client assertion presented again. [Workspace]. */
  replays: 'Replays',
  /** KMS calls that failed after the SDK's retries. [Workspace]. */
  kmsErrors: 'KmsErrors',
  /** DynamoDB calls that failed after the SDK's retries, conditional-check refusals aside. [Workspace]. */
  dynamoDbErrors: 'DynamoDbErrors',
} as const;

/** The `Workspace` dimension value of a workspace. */
export const workspaceDimension = (tenantId: string, workspaceId: string): string => `${tenantId}/${workspaceId}`;

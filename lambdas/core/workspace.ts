// A workspace: one authorization server (issuer, settings, and the adapters it runs on).
import type { IdentitySourceSettings } from './federation/identity-sources.js';
import type { AuditSink } from './ports/audit.js';
import type { ClientKeysFetcher } from './ports/client-keys.js';
import type { Clock } from './ports/clock.js';
import type { KeyRing } from './ports/signing.js';
import type { RuntimeStores } from './ports/storage.js';
import type { Branding, ScopeDescriptions } from './pages/branding.js';
import { NO_UPSTREAM, type UpstreamProvider } from './ports/upstream.js';

export interface WorkspaceSettings {
  /** Authorization code lifetime, seconds. @default 60 */
  readonly codeTtl: number;
  /** Access token lifetime, seconds. @default 3600 */
  readonly accessTokenTtl: number;
  /** ID token lifetime, seconds. @default 3600 */
  readonly idTokenTtl: number;
  /** How long a user has to log in and consent, seconds. @default 600 */
  readonly transactionTtl: number;
  /** Browser session (SSO) lifetime, seconds. @default 28800 (8 h) */
  readonly sessionTtl: number;
  /** Window of the failed-login counters, seconds. @default 900 */
  readonly loginThrottleWindow: number;
  /** Failed logins per username per window before logins for it are refused. @default 5 */
  readonly maxFailuresPerUsername: number;
  /** Failed logins per source address per window before logins from it are refused. @default 20 */
  readonly maxFailuresPerAddress: number;
  /** Window of the failed client authentication counters, seconds. @default 900 */
  readonly clientAuthThrottleWindow: number;
  /**
   * Failed secret authentications per client per window after which a container refuses that client's secrets
   * until the window ends, the right one included. @default 20
   */
  readonly maxClientAuthFailures: number;
  /** Whether every client must push its authorization requests first (RFC 9126 §5). @default false */
  readonly requirePushedAuthorizationRequests: boolean;
  /** How long a refresh token stays good unused, seconds; each rotation starts it anew. @default 1209600 (14 days) */
  readonly refreshTokenIdleTtl: number;
  /**
   * How long a grant's refresh tokens may be rotated in all, seconds from the code's redemption; no successor
   * outlives it. @default 2592000 (30 days)
   */
  readonly refreshTokenAbsoluteTtl: number;
  /**
   * How long a deployed function serves a client record from its per-container cache, seconds: a changed client is
   * seen within this time. The storage adapter applies it (the admin tooling and the client sync read through).
   * @default 60
   */
  readonly clientCacheTtl: number;
  /**
   * Whether users of the workspace's own store sign in with a username and password; without it the login page
   * offers the identity sources only. @default true
   */
  readonly builtInUsers: boolean;
}

export const defaultSettings: WorkspaceSettings = {
  codeTtl: 60,
  accessTokenTtl: 3600,
  idTokenTtl: 3600,
  transactionTtl: 600,
  sessionTtl: 8 * 3600,
  loginThrottleWindow: 900,
  maxFailuresPerUsername: 5,
  maxFailuresPerAddress: 20,
  clientAuthThrottleWindow: 900,
  maxClientAuthFailures: 20,
  requirePushedAuthorizationRequests: false,
  refreshTokenIdleTtl: 14 * 86_400,
  refreshTokenAbsoluteTtl: 30 * 86_400,
  clientCacheTtl: 60,
  builtInUsers: true,
};

/** The upstream identity sources of a workspace, and how they are reached. */
export interface Federation {
  /** In the order the login page shows them. */
  readonly sources: readonly IdentitySourceSettings[];
  readonly upstream: UpstreamProvider;
}

/** A workspace without identity sources. */
export const NO_FEDERATION: Federation = { sources: [], upstream: NO_UPSTREAM };

/** A workspace reaches its storage through the runtime ports (clients, interactions, grants, throttle, …). */
export interface Workspace extends RuntimeStores {
  readonly tenantId: string;
  readonly workspaceId: string;
  /** `{base}/{tenantId}/{workspaceId}`, no trailing slash. */
  readonly issuer: string;
  readonly settings: WorkspaceSettings;
  readonly keys: KeyRing;
  readonly clock: Clock;
  readonly audit: AuditSink;
  /** The JWK Sets of `private_key_jwt` clients registered with a `jwksUri`. */
  readonly clientKeys: ClientKeysFetcher;
  /** How the hosted pages present the workspace. @default - unbranded */
  readonly branding?: Branding;
  /** Descriptions of custom scopes per language, shown on the consent page. @default - none */
  readonly scopeDescriptions?: ScopeDescriptions;
  readonly federation: Federation;
}

/** Current time in epoch seconds, the unit of every record and JWT. */
export const nowSeconds = (ws: Pick<Workspace, 'clock'>): number => Math.floor(ws.clock.now() / 1000);

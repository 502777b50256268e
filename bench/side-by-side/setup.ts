// What both servers of the side-by-side benchmark are given: the same clients, users and password, and the messages
// a server process sends its parent once it listens.

/** The public client of the code flows (PKCE, `none`), also the one that refreshes. */
export const SPA = {
  clientId: 'bench-spa',
  redirectUri: 'https://rp.example.com/callback',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
} as const;

/** The confidential client of `client_credentials` (`client_secret_basic`). */
export const BACKEND = {
  clientId: 'bench-backend',
  secret: 'bench-backend-secret-0123456789abcdef',
  scope: 'api:read',
} as const;

/** Scope of the code flows; the refresh phase asks for `offline_access` in addition. */
export const FLOW_SCOPE = 'openid email';

export const PASSWORD = 'bench-password-123';

/** One user per load-generator worker, so no two workers ever share a session or a per-user login counter. */
export const username = (i: number): string => `user${i}`;

export const userClaims = (i: number) => ({ email: `user${i}@example.com`, email_verified: true, name: `User ${i}` });

/** Sent over IPC by a server process once it accepts requests. */
export interface ReadyMessage {
  readonly ready: true;
  /** The issuer; every endpoint path is relative to it. */
  readonly issuer: string;
}

/** The parent passes this to a server process as JSON in `BENCH_SERVER` (plus `users`). */
export interface ServerOptions {
  readonly users: number;
  /** Where DynamoDB Local listens (our server only). */
  readonly dynamoEndpoint?: string;
}

// OAuth error classes and the one serializer that turns anything thrown into a response.
import { type CoreResponse, noStoreJson } from './http.js';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'invalid_request_uri'
  | 'invalid_request_object'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'slow_down'
  | 'server_error'
  | 'temporarily_unavailable';

export interface OAuthErrorOptions {
  /** HTTP status when the error is answered directly (not redirected). */
  status?: number;
  /** Internal detail for logs; never sent to the client. */
  detail?: string;
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  headers?: Record<string, string>;
}

export class OAuthError extends Error {
  readonly status: number;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly error: OAuthErrorCode,
    /** Client-safe, human-readable description (`error_description`). */
    readonly description: string,
    opts: OAuthErrorOptions = {},
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
    this.status = opts.status ?? 400;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }
}

export const invalidRequest = (description: string, detail?: string) =>
  new OAuthError('invalid_request', description, { detail });

export const invalidGrant = (description: string, detail?: string) =>
  new OAuthError('invalid_grant', description, { detail });

export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);

export const unauthorizedClient = (description: string) => new OAuthError('unauthorized_client', description);

/** RFC 6749 §5.2: a failed client authentication is a 401 with a challenge naming the scheme. */
export const invalidClient = (description: string, detail?: string) =>
  new OAuthError('invalid_client', description, {
    status: 401,
    detail,
    headers: { 'www-authenticate': 'Basic realm="token", charset="UTF-8"' },
  });

/** RFC 6750 §3: errors of bearer-protected resources (userinfo). */
export const invalidToken = (description: string) =>
  new OAuthError('invalid_token', description, {
    status: 401,
    headers: {
      'www-authenticate': `Bearer error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`,
    },
  });

/**
 * An error at the authorization endpoint that must never be redirected: the client or its
 * redirect URI could not be verified, so the user gets an error page instead.
 */
export class UnverifiedRedirectError extends OAuthError {
  constructor(error: OAuthErrorCode, description: string, detail?: string) {
    super(error, description, { detail });
    this.name = 'UnverifiedRedirectError';
  }
}

/** Thrown by storage adapters when a conditional write finds the item missing, expired or used. */
export class ConditionFailed extends Error {
  constructor(message = 'condition failed') {
    super(message);
    this.name = 'ConditionFailed';
  }
}

/** Thrown by the store when a single-use item (code, refresh token, jti) was already consumed. */
export class AlreadyConsumed extends Error {
  constructor(
    message = 'already consumed',
    /** The grant the item belonged to, so the caller can revoke it (replay detection). */
    readonly grantId?: string,
  ) {
    super(message);
    this.name = 'AlreadyConsumed';
  }
}

/** Normalises anything thrown into an OAuthError; unknown failures become a bare `server_error`. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  return new OAuthError('server_error', 'The server could not complete the request.', {
    status: 500,
    detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  });
}

/** The one JSON serializer for OAuth errors (RFC 6749 §5.2). */
export function errorResponse(err: unknown): CoreResponse {
  const e = toOAuthError(err);
  return noStoreJson(e.status, { error: e.error, error_description: e.description }, e.headers);
}

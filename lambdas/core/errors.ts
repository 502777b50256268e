// OAuth error classes and the one serializer that turns anything thrown into a response.
import { type CoreResponse, type ResponseError, noStoreJson } from './http.js';

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

/**
 * RFC 6749 §4.1.2.1 and §5.2: an `error_description` holds only `%x20-21 / %x23-5B / %x5D-7E`, printable ASCII but
 * `"` and `\`. Every description passes through here (the one constructor all factories call), so nothing else
 * ever reaches a client, whichever serializer sends it: redirect, JSON, Bearer challenge or page.
 */
export const errorDescription = (text: string): string => text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');

export class OAuthError extends Error {
  /**
   * Client-safe, human-readable description (`error_description`), restricted to the characters RFC 6749 allows.
   * A fixed text: the client knows what it sent, and repeating a request value would let anyone who crafts a link
   * put words of their choosing on the client's error page.
   */
  readonly description: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;
  /** Whether the description may be shown to the client: true for 4xx, false for server failures. */
  readonly expose: boolean;

  constructor(
    readonly error: OAuthErrorCode,
    description: string,
    opts: OAuthErrorOptions = {},
  ) {
    const safe = errorDescription(description);
    super(`${error}: ${safe}`);
    this.name = 'OAuthError';
    this.description = safe;
    this.status = opts.status ?? 400;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
    this.expose = this.status < 500;
  }
}

// One factory per error code: every OAuth error outside this file is built by one of them.

export const invalidRequest = (description: string, detail?: string) =>
  new OAuthError('invalid_request', description, { detail });

/** RFC 6749 §5.2: a failed client authentication is a 401 with a challenge naming the scheme. */
export const invalidClient = (description: string, detail?: string) =>
  new OAuthError('invalid_client', description, {
    status: 401,
    detail,
    headers: { 'www-authenticate': 'Basic realm="token", charset="UTF-8"' },
  });

/**
 * A client whose secret failed too often this window: refused before its secret is compared, with 429 (as a
 * throttled login is) so that its operator sees a rate limit rather than a wrong secret, and when to retry.
 */
export const clientAuthThrottled = (description: string, retryAfterSeconds: number, detail?: string) =>
  new OAuthError('invalid_client', description, {
    status: 429,
    detail,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });

export const invalidGrant = (description: string, detail?: string) =>
  new OAuthError('invalid_grant', description, { detail });

export const unauthorizedClient = (description: string, detail?: string) =>
  new OAuthError('unauthorized_client', description, { detail });

/** An authenticated client calling an endpoint it is not registered for (introspection): refused with 403. */
export const clientNotPermitted = (description: string, detail?: string) =>
  new OAuthError('unauthorized_client', description, { status: 403, detail });

export const unsupportedGrantType = (description: string, detail?: string) =>
  new OAuthError('unsupported_grant_type', description, { detail });

export const unsupportedResponseType = (description: string, detail?: string) =>
  new OAuthError('unsupported_response_type', description, { detail });

export const invalidScope = (description: string, detail?: string) =>
  new OAuthError('invalid_scope', description, { detail });

/** RFC 8707 §2: a resource indicator that is malformed or not allowed. */
export const invalidTarget = (description: string, detail?: string) =>
  new OAuthError('invalid_target', description, { detail });

export const accessDenied = (description: string, detail?: string) =>
  new OAuthError('access_denied', description, { detail });

/** OIDC Core §3.1.2.6: prompt=none and the user would have to sign in. */
export const loginRequired = (description: string, detail?: string) =>
  new OAuthError('login_required', description, { detail });

/** OIDC Core §3.1.2.6: prompt=none and the user would have to consent. */
export const consentRequired = (description: string, detail?: string) =>
  new OAuthError('consent_required', description, { detail });

export const requestNotSupported = (description: string, detail?: string) =>
  new OAuthError('request_not_supported', description, { detail });

export const requestUriNotSupported = (description: string, detail?: string) =>
  new OAuthError('request_uri_not_supported', description, { detail });

/** RFC 6750 §3: errors of bearer-protected resources (userinfo). */
export const invalidToken = (description: string, detail?: string) =>
  new OAuthError('invalid_token', description, {
    status: 401,
    detail,
    headers: {
      'www-authenticate': `Bearer error="invalid_token", error_description="${errorDescription(description)}"`,
    },
  });

/** RFC 6750 §3.1: a request without any access token gets a bare challenge, no error code in it. */
export const accessTokenRequired = (description: string, detail?: string) =>
  new OAuthError('invalid_token', description, { status: 401, detail, headers: { 'www-authenticate': 'Bearer' } });

/** RFC 6750 §3.1: the token is valid but lacks `scope`, which the challenge names. */
export const insufficientScope = (description: string, scope: string, detail?: string) =>
  new OAuthError('insufficient_scope', description, {
    status: 403,
    detail,
    headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
  });

export const serverError = (description: string, detail?: string) =>
  new OAuthError('server_error', description, { status: 500, detail });

/** How long a client is asked to wait before trying again after a failure that passes. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * A failure of the table or the signing key that passes (throttling, a timeout, an internal error of the service):
 * 503 with `Retry-After`, so clients retry instead of giving up. Adapters raise it; a failure that needs the operator
 * (a missing table, a disabled key) stays a `server_error`.
 */
export const temporarilyUnavailable = (description: string, detail?: string) =>
  new OAuthError('temporarily_unavailable', description, {
    status: 503,
    detail,
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });

/** The description of every `temporarily_unavailable` the server raises itself. */
export const TRY_AGAIN = 'The server is temporarily unable to handle the request. Try again.';

/** No route serves the path (an `invalid_request` answered with 404). */
export const notFound = (description: string, detail?: string) =>
  new OAuthError('invalid_request', description, { status: 404, detail });

/** The path is served, but not for this method (an `invalid_request` answered with 405 and `Allow`). */
export const methodNotAllowed = (description: string, allow: string, detail?: string) =>
  new OAuthError('invalid_request', description, { status: 405, detail, headers: { allow } });

/** A body above the size limit (an `invalid_request` answered with 413). */
export const payloadTooLarge = (description: string, detail?: string) =>
  new OAuthError('invalid_request', description, { status: 413, detail });

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

/** `invalid_request` before the redirect URI is verified: shown as a page, never redirected. */
export const unverifiedInvalidRequest = (description: string, detail?: string) =>
  new UnverifiedRedirectError('invalid_request', description, detail);

/** `invalid_client` before the redirect URI is verified: shown as a page, never redirected. */
export const unverifiedInvalidClient = (description: string, detail?: string) =>
  new UnverifiedRedirectError('invalid_client', description, detail);

/**
 * RFC 9126 §4: a `request_uri` that names no pushed request of this client (unknown, used, expired): shown as a
 * page, never redirected, as the redirect URI would have come from the pushed request.
 */
export const unverifiedInvalidRequestUri = (description: string, detail?: string) =>
  new UnverifiedRedirectError('invalid_request_uri', description, detail);

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

/**
 * Normalises anything thrown into an OAuthError; unknown failures become a bare `server_error`. A refused
 * conditional write no endpoint gave a verdict for collided with concurrent writes: trying again decides it.
 */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  if (err instanceof ConditionFailed)
    return temporarilyUnavailable(TRY_AGAIN, `unexpected refused write: ${err.message}`);
  return serverError(
    'The server could not complete the request.',
    err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  );
}

/** What a response carrying `e` records about it for the logs (`CoreResponse.error`). */
export function responseError(e: OAuthError): ResponseError {
  return e.detail === undefined ? { error: e.error } : { error: e.error, detail: e.detail };
}

/** The one JSON serializer for OAuth errors (RFC 6749 §5.2). */
export function errorResponse(err: unknown): CoreResponse {
  const e = toOAuthError(err);
  return {
    ...noStoreJson(e.status, { error: e.error, error_description: e.description }, e.headers),
    error: responseError(e),
  };
}

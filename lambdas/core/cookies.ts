// The workspace's cookies: names, paths scoped to the issuer so workspaces on one host never share them.
import { randomValues } from './crypto.js';
import { type CoreRequest, parseCookies, serializeCookie } from './http.js';
import type { Workspace } from './workspace.js';

/** The SSO session; sent to the authorization endpoint and the consent pages. */
export const SESSION_COOKIE = 'authz_session';
/** Binds in-flight transactions to this browser (anti-CSRF, together with the form token). */
export const BROWSER_COOKIE = 'authz_browser';

const issuerPath = (ws: Workspace): string => new URL(ws.issuer).pathname.replace(/\/$/, '');

export function readCookie(req: CoreRequest, name: string): string | undefined {
  const value = parseCookies(req)[name];
  return value && /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
}

/** The secret part of a session id: 32 random bytes, base64url. */
const SESSION_SECRET_LENGTH = 43;
/** The longest cookie value `readCookie` accepts. */
const MAX_COOKIE_LENGTH = 128;

/**
 * A new session id for `sub`: the secret, then the sub (base64url) when it fits, so that the authorization endpoint
 * can read the session, its user and their consent in one round trip. The sub only says what to read: the session
 * is found by the hash of the whole id, and counts only if its record names the same sub.
 */
export function newSessionId(sub: string): string {
  const secret = randomValues.sessionId();
  const hint = Buffer.from(sub, 'utf8').toString('base64url');
  return secret.length + hint.length <= MAX_COOKIE_LENGTH ? `${secret}${hint}` : secret;
}

/** The sub a session id names (see `newSessionId`), if it names one. */
export function sessionSubHint(sessionId: string): string | undefined {
  if (sessionId.length <= SESSION_SECRET_LENGTH) return undefined;
  const sub = Buffer.from(sessionId.slice(SESSION_SECRET_LENGTH), 'base64url').toString('utf8');
  return sub.length > 0 ? sub : undefined;
}

export function sessionCookie(req: CoreRequest, ws: Workspace, value: string): string {
  return serializeCookie(SESSION_COOKIE, value, {
    path: `${issuerPath(ws)}/`,
    secure: req.secure,
    maxAge: ws.settings.sessionTtl,
  });
}

/** Deletes the session cookie: the attributes it was set with, and `Max-Age=0`. */
export function clearedSessionCookie(req: CoreRequest, ws: Workspace): string {
  return serializeCookie(SESSION_COOKIE, '', { path: `${issuerPath(ws)}/`, secure: req.secure, maxAge: 0 });
}

export function browserCookie(req: CoreRequest, ws: Workspace, value: string): string {
  return serializeCookie(BROWSER_COOKIE, value, { path: `${issuerPath(ws)}/`, secure: req.secure });
}

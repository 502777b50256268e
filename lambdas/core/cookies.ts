// The workspace's cookies: names, paths scoped to the issuer so workspaces on one host never share them.
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

// The transport-agnostic request/response shape every endpoint works on.

/** An HTTP request as the core sees it: already routed to one workspace. */
export interface CoreRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path relative to the issuer, e.g. `/oauth2/token`. */
  readonly path: string;
  /** Query parameters; every value of a repeated name is kept so duplicates can be rejected. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Decoded body text, if any. */
  readonly body?: string;
  /** The caller's address as the edge saw it (for throttling, never for trust). */
  readonly sourceIp: string;
  /** Whether the request reached us over https (decides the `Secure` cookie flag). */
  readonly secure: boolean;
}

/** The OAuth error a response carries: its code and the internal detail, for the logs only. */
export interface ResponseError {
  readonly error: string;
  readonly detail?: string;
}

export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  /** Each entry is one `Set-Cookie` header value. */
  cookies?: string[];
  body: string;
  /** Set on every error the core answers (JSON, page or redirect); never serialized to the client. */
  error?: ResponseError;
}

export type Endpoint<W> = (req: CoreRequest, workspace: W) => Promise<CoreResponse>;

/**
 * Every JSON endpoint is a credential-less API that browser apps (SPAs) call cross-origin, so each
 * JSON response allows any origin; cookies are never read on these endpoints.
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): CoreResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json;charset=utf-8',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

/** JSON that must never be cached: token and userinfo responses, and every error. */
export function noStoreJson(status: number, body: unknown, headers: Record<string, string> = {}): CoreResponse {
  return jsonResponse(status, body, { 'cache-control': 'no-store', pragma: 'no-cache', ...headers });
}

/** An empty 200 that is never cached (RFC 7009 §2.2); like the JSON endpoints, callable cross-origin. */
export function emptyOk(): CoreResponse {
  return { status: 200, headers: { 'access-control-allow-origin': '*', 'cache-control': 'no-store' }, body: '' };
}

/** CORS preflight for the JSON endpoints that take an Authorization header (token, revocation, userinfo). */
export async function preflight(): Promise<CoreResponse> {
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
    },
    body: '',
  };
}

export function redirect(location: string, status: 302 | 303 = 303, cookies?: string[]): CoreResponse {
  const res: CoreResponse = { status, headers: { location, 'cache-control': 'no-store' }, body: '' };
  if (cookies?.length) res.cookies = cookies;
  return res;
}

/** The media type of the body, exactly (parameters such as `charset` aside): `…-urlencodedXYZ` is no form. */
export function isFormBody(req: CoreRequest): boolean {
  const mediaType = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/x-www-form-urlencoded';
}

/**
 * A map with no prototype: a request may name its fields `__proto__`, `constructor` or `toString`, and
 * those must read as the request's own values (or as absent), never as members of Object.prototype.
 */
export const emptyMap = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** Parses an `application/x-www-form-urlencoded` body keeping every value of a repeated name. */
export function parseForm(body: string | undefined): Record<string, string[]> {
  const out = emptyMap<string[]>();
  for (const [k, v] of new URLSearchParams(body ?? '')) (out[k] ??= []).push(v);
  return out;
}

export function header(req: CoreRequest, name: string): string | undefined {
  return req.headers[name.toLowerCase()];
}

export function parseCookies(req: CoreRequest): Record<string, string> {
  const out = emptyMap<string>();
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!Object.hasOwn(out, name)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Seconds; 0 deletes the cookie; omitted makes a browser-session cookie. */
  maxAge?: number;
}

/** Every cookie we set is HttpOnly and SameSite=Lax; Secure whenever the request came over https. */
export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${opts.path}`, 'HttpOnly', 'SameSite=Lax'];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${opts.maxAge}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

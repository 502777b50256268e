// The authorization request checks, one per rule, applied in order by the endpoint (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1.2).
import {
  invalidRequest,
  invalidScope,
  invalidTarget,
  requestNotSupported,
  requestUriNotSupported,
  unauthorizedClient,
  unsupportedResponseType,
  unverifiedInvalidClient,
  unverifiedInvalidRequest,
} from '../../errors.js';
import type { ClientRecord, Prompt } from '../../model.js';
import { optional, parseScope, repeated, required, type Params } from '../../params.js';
import { isClientId } from '../../registration/registration.js';
import type { Workspace } from '../../workspace.js';

/** Errors before the redirect URI is verified are shown as a page, never redirected. */
const unverified = (description: string) => unverifiedInvalidRequest(description);

export async function checkClient(params: Params, ws: Workspace): Promise<ClientRecord> {
  const clientId = optional(params, 'client_id', unverified);
  if (!clientId) throw unverifiedInvalidRequest('The request does not name a client (client_id).');
  const client = isClientId(clientId) ? await ws.store.getClient(clientId) : undefined;
  if (!client) throw unverifiedInvalidClient('The application is not registered with this server.', `unknown client ${clientId}`);
  return client;
}

/** `http://127.0.0.1[:port]/…` or `http://[::1][:port]/…`, split so everything but the port can be compared as strings. */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d{1,5})?([/?][^#]*)?$/;

function loopbackParts(uri: string): string | undefined {
  const m = LOOPBACK.exec(uri);
  return m ? `${m[1]}|${m[2] ?? ''}` : undefined;
}

/** Exact string match; the one exception is the port of a native client's loopback URI (RFC 8252 §7.3). */
export function redirectUriMatches(client: ClientRecord, uri: string): boolean {
  if (client.redirectUris.includes(uri)) return true;
  if (client.applicationType !== 'native') return false;
  const parts = loopbackParts(uri);
  return parts !== undefined && client.redirectUris.some((r) => loopbackParts(r) === parts);
}

export function checkRedirectUri(params: Params, client: ClientRecord): { redirectUri: string; redirectUriSent: boolean } {
  const sent = optional(params, 'redirect_uri', unverified);
  if (sent === undefined) {
    if (client.redirectUris.length === 1) return { redirectUri: client.redirectUris[0]!, redirectUriSent: false };
    throw unverifiedInvalidRequest('The request must name one of the registered redirect URIs (redirect_uri).');
  }
  if (!redirectUriMatches(client, sent)) {
    throw unverifiedInvalidRequest('The redirect URI is not registered for this application.', 'redirect_uri mismatch');
  }
  return { redirectUri: sent, redirectUriSent: true };
}

export function checkResponseType(params: Params, client: ClientRecord): void {
  const responseType = required(params, 'response_type');
  if (responseType !== 'code') throw unsupportedResponseType('Only response_type=code is supported.');
  if (!client.grantTypes.includes('authorization_code')) throw unauthorizedClient('The client may not use the authorization code grant.');
  const responseMode = optional(params, 'response_mode');
  if (responseMode !== undefined && responseMode !== 'query') throw invalidRequest('Only response_mode=query is supported.');
}

export function checkUnsupportedRequestObjects(params: Params): void {
  if (params.request?.length) throw requestNotSupported('Request objects are not supported.');
  if (params.request_uri?.length) throw requestUriNotSupported('request_uri is not supported.');
}

export function checkScope(params: Params, client: ClientRecord): string[] {
  const scopes = parseScope(optional(params, 'scope'));
  if (scopes.length === 0) throw invalidScope('The scope parameter is required.');
  const refused = scopes.filter((s) => !client.scopes.includes(s));
  if (refused.length) throw invalidScope(`The client may not request: ${refused.join(' ')}.`);
  return scopes;
}

/** RFC 7636 §4.2: a challenge is the 43-character base64url of a SHA-256. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function checkPkce(params: Params): string {
  const challenge = optional(params, 'code_challenge');
  const method = optional(params, 'code_challenge_method');
  if (!challenge) throw invalidRequest('PKCE is required: send code_challenge with code_challenge_method=S256.');
  if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256.');
  if (!S256_CHALLENGE.test(challenge)) throw invalidRequest('code_challenge is not a valid S256 challenge.');
  return challenge;
}

const PROMPTS: ReadonlySet<string> = new Set(['none', 'login', 'consent', 'select_account']);

export function checkPrompt(params: Params): Prompt[] {
  const values = parseScope(optional(params, 'prompt'));
  const unknown = values.filter((p) => !PROMPTS.has(p));
  if (unknown.length) throw invalidRequest(`Unsupported prompt value: ${unknown.join(' ')}.`);
  if (values.includes('none') && values.length > 1) throw invalidRequest('prompt=none cannot be combined with other values.');
  // One account per browser session here, so select_account asks for nothing beyond a login.
  return [...new Set(values.map((p) => (p === 'select_account' ? 'login' : p)))] as Prompt[];
}

export function checkMaxAge(params: Params): number | undefined {
  const maxAge = optional(params, 'max_age');
  if (maxAge === undefined) return undefined;
  if (!/^\d{1,9}$/.test(maxAge)) throw invalidRequest('max_age must be a non-negative integer.');
  return Number(maxAge);
}

/** RFC 8707: absolute URIs without fragment, and only audiences the client is registered for. */
export function checkResources(params: Params, client: ClientRecord): string[] {
  const resources = repeated(params, 'resource');
  for (const r of resources) {
    let url: URL;
    try {
      url = new URL(r);
    } catch {
      throw invalidTarget('resource must be an absolute URI.');
    }
    if (url.hash || r.includes('#')) throw invalidTarget('resource must not contain a fragment.');
    if (!(client.audience ?? []).includes(r)) throw invalidTarget('The client may not request this resource.');
  }
  return [...new Set(resources)];
}

// The authorization request checks, one per rule (RFC 6749 §4.1, RFC 7636, RFC 8707, OIDC Core §3.1.2).
// Stage 1 verifies the client and its redirect URI: its errors are shown as a page, never redirected.
// Every later check enforces one rule and fills its part of the draft request; request.ts runs them in order.
import {
  invalidRequest,
  invalidScope,
  requestNotSupported,
  requestUriNotSupported,
  unauthorizedClient,
  unsupportedResponseType,
  unverifiedInvalidClient,
  unverifiedInvalidRequest,
} from '../../errors.js';
import { verifyIdTokenHint } from '../../jwt/id-token-hint.js';
import type { ClientRecord, Prompt } from '../../model.js';
import { optional, parseScope, required, splitSpaceDelimited, type Params } from '../../params.js';
import { isClientId, pkceRequired } from '../../registration/registration.js';
import { requestedResources } from '../../resource-indicators.js';
import type { Workspace } from '../../workspace.js';
import type { AuthorizationRequestDraft, RedirectTarget } from './request.js';

// Stage 1: errors before the redirect URI is verified are shown as a page, never redirected.

/** client_id is sent once and names a registered client. */
export async function checkClientRegistered(params: Params, ws: Workspace): Promise<ClientRecord> {
  const clientId = optional(params, 'client_id', unverifiedInvalidRequest);
  if (!clientId) throw unverifiedInvalidRequest('The request does not name a client (client_id).', 'client_id missing');
  const client = isClientId(clientId) ? await ws.clients.get(clientId) : undefined;
  if (!client)
    throw unverifiedInvalidClient('The application is not registered with this server.', `unknown client ${clientId}`);
  return client;
}

/** `http://127.0.0.1[:port]/…` or `http://[::1][:port]/…`, split so everything but the port can be compared as strings. */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;
/** The highest TCP port: a URI naming a port above it (or port 0) names nothing a native app could listen on. */
const MAX_PORT = 65_535;

function loopbackParts(uri: string): string | undefined {
  const m = LOOPBACK.exec(uri);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > MAX_PORT)) return undefined;
  return `${m[1]}|${m[3] ?? ''}`;
}

/** Exact string match; the one exception is the port of a native client's loopback URI (RFC 8252 §7.3). */
function redirectUriMatches(client: ClientRecord, uri: string): boolean {
  if (client.redirectUris.includes(uri)) return true;
  if (client.applicationType !== 'native') return false;
  const parts = loopbackParts(uri);
  return parts !== undefined && client.redirectUris.some((r) => loopbackParts(r) === parts);
}

/** redirect_uri is sent once and is registered; it may be left out when the client registered only one. */
export function checkRedirectUriRegistered(params: Params, client: ClientRecord): RedirectTarget {
  const sent = optional(params, 'redirect_uri', unverifiedInvalidRequest);
  if (sent === undefined) {
    if (client.redirectUris.length === 1) return { redirectUri: client.redirectUris[0]!, redirectUriSent: false };
    throw unverifiedInvalidRequest(
      'The request must name one of the registered redirect URIs (redirect_uri).',
      'redirect_uri missing, several registered',
    );
  }
  if (!redirectUriMatches(client, sent)) {
    throw unverifiedInvalidRequest('The redirect URI is not registered for this application.', 'redirect_uri mismatch');
  }
  return { redirectUri: sent, redirectUriSent: true };
}

// Stage 2: the redirectable checks. Each takes the draft, the parameters and the verified client.

/** state, when sent, is sent once and is not oversized; read first, so every later error can carry it back. */
export function checkStateSingleAndBounded(draft: AuthorizationRequestDraft, params: Params): void {
  const state = optional(params, 'state');
  if (state !== undefined) draft.state = state;
}

/** No request object by value (OIDC Core §6.1): not supported. */
export function checkNoRequestObject(_draft: AuthorizationRequestDraft, params: Params): void {
  if (params.request?.length) throw requestNotSupported('Request objects are not supported.', 'request sent');
}

/** No request object by reference (OIDC Core §6.2): not supported. */
export function checkNoRequestUri(_draft: AuthorizationRequestDraft, params: Params): void {
  if (params.request_uri?.length) throw requestUriNotSupported('request_uri is not supported.', 'request_uri sent');
}

/** response_type is sent, once, and is `code`. */
export function checkResponseTypeIsCode(_draft: AuthorizationRequestDraft, params: Params): void {
  const responseType = required(params, 'response_type');
  if (responseType !== 'code')
    throw unsupportedResponseType('Only response_type=code is supported.', 'response_type not code');
}

/** The client is registered for the authorization code grant. */
export function checkClientMayUseCodeGrant(
  _draft: AuthorizationRequestDraft,
  _params: Params,
  client: ClientRecord,
): void {
  if (!client.grantTypes.includes('authorization_code')) {
    throw unauthorizedClient(
      'The client may not use the authorization code grant.',
      `client ${client.clientId} lacks the grant`,
    );
  }
}

/** response_mode, when sent, is `query`. */
export function checkResponseModeIsQuery(_draft: AuthorizationRequestDraft, params: Params): void {
  const responseMode = optional(params, 'response_mode');
  if (responseMode !== undefined && responseMode !== 'query')
    throw invalidRequest('Only response_mode=query is supported.', 'response_mode not query');
}

/** scope, when sent, is sent once and is not oversized; left out, the request is plain OAuth 2.0 for no scopes. */
export function checkScopeSingleAndBounded(draft: AuthorizationRequestDraft, params: Params): void {
  draft.scopes = parseScope(optional(params, 'scope'));
}

/** Every requested scope is one the client is registered for. */
export function checkScopeAllowed(draft: AuthorizationRequestDraft, _params: Params, client: ClientRecord): void {
  const refused = (draft.scopes ?? []).filter((s) => !client.scopes.includes(s));
  if (refused.length)
    throw invalidScope(
      'The client may not request one or more of these scopes.',
      `scope not registered for client ${client.clientId}`,
    );
}

/**
 * OIDC Core §3.1.2.1: redirect_uri is required in an OpenID request, even where OAuth (RFC 6749 §3.1.2.3) lets a
 * single registered URI stand in for it. Redirected: the one registered URI is the verified target.
 */
export function checkRedirectUriSentForOpenId(draft: AuthorizationRequestDraft): void {
  if (!draft.redirectUriSent && (draft.scopes ?? []).includes('openid')) {
    throw invalidRequest(
      'An OpenID Connect request must name its redirect URI (redirect_uri).',
      'redirect_uri left out of an openid request',
    );
  }
}

/** RFC 7636 §4.2: a challenge is the 43-character base64url of a SHA-256. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * PKCE with method S256 and a well-formed challenge (RFC 7636, OAuth 2.1), required unless the client is a
 * confidential one registered with `requirePkce: false`; a challenge sent is checked all the same (no downgrade).
 */
export function checkPkceS256(draft: AuthorizationRequestDraft, params: Params, client: ClientRecord): void {
  const challenge = optional(params, 'code_challenge');
  const method = optional(params, 'code_challenge_method');
  if (!challenge && method === undefined && !pkceRequired(client)) return;
  if (!challenge)
    throw invalidRequest(
      'PKCE is required: send code_challenge with code_challenge_method=S256.',
      'code_challenge missing',
    );
  if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256.', 'code_challenge_method not S256');
  if (!S256_CHALLENGE.test(challenge))
    throw invalidRequest('code_challenge is not a valid S256 challenge.', 'code_challenge malformed');
  draft.codeChallenge = challenge;
  draft.codeChallengeMethod = 'S256';
}

const PROMPTS: ReadonlySet<string> = new Set(['none', 'login', 'consent', 'select_account']);

/** Every prompt value is one OIDC Core §3.1.2.1 defines. */
export function checkPromptValuesKnown(draft: AuthorizationRequestDraft, params: Params): void {
  const values = splitSpaceDelimited(optional(params, 'prompt'));
  const unknown = values.filter((p) => !PROMPTS.has(p));
  if (unknown.length) throw invalidRequest('The prompt parameter has an unsupported value.', 'prompt value unknown');
  // One account per browser session here, so select_account asks for nothing beyond a login.
  draft.prompt = [...new Set(values.map((p) => (p === 'select_account' ? 'login' : p)))] as Prompt[];
}

/** prompt=none stands alone (OIDC Core §3.1.2.1). */
export function checkPromptNoneAlone(draft: AuthorizationRequestDraft): void {
  // After select_account became login, none still has company exactly when it had any in the request.
  const prompt = draft.prompt ?? [];
  if (prompt.includes('none') && prompt.length > 1)
    throw invalidRequest('prompt=none cannot be combined with other values.', 'prompt=none combined');
}

/** RFC 8707: absolute URIs without fragment, and only audiences the client is registered for. */
export function checkResourcesAllowed(draft: AuthorizationRequestDraft, params: Params, client: ClientRecord): void {
  draft.resources = requestedResources(params, client);
}

/** max_age, when sent, is a non-negative integer of seconds. */
export function checkMaxAgeNonNegativeInteger(draft: AuthorizationRequestDraft, params: Params): void {
  const maxAge = optional(params, 'max_age');
  if (maxAge === undefined) return;
  if (!/^\d{1,9}$/.test(maxAge)) throw invalidRequest('max_age must be a non-negative integer.', 'max_age malformed');
  draft.maxAge = Number(maxAge);
}

/** nonce, when sent, is sent once and is not oversized. */
export function checkNonceSingleAndBounded(draft: AuthorizationRequestDraft, params: Params): void {
  const nonce = optional(params, 'nonce');
  if (nonce !== undefined) draft.nonce = nonce;
}

/** login_hint, when sent, is sent once and is not oversized. */
export function checkLoginHintSingleAndBounded(draft: AuthorizationRequestDraft, params: Params): void {
  const loginHint = optional(params, 'login_hint');
  if (loginHint !== undefined) draft.loginHint = loginHint;
}

/** ui_locales, when sent, is sent once and is not oversized; kept for the pages, unsupported languages are no error. */
export function checkUiLocalesSingleAndBounded(draft: AuthorizationRequestDraft, params: Params): void {
  const uiLocales = optional(params, 'ui_locales');
  if (uiLocales !== undefined) draft.uiLocales = uiLocales;
}

/**
 * id_token_hint, when sent, is an ID token this workspace issued, of any age (OIDC Core §3.1.2.1); the user it names
 * is kept, so that a session of anyone else does not answer the request.
 */
export async function checkIdTokenHintOurs(
  draft: AuthorizationRequestDraft,
  params: Params,
  _client: ClientRecord,
  ws: Workspace,
): Promise<void> {
  const hint = optional(params, 'id_token_hint');
  if (hint !== undefined) draft.idTokenHintSub = (await verifyIdTokenHint(ws, hint)).sub;
}

// Pushed authorization requests (RFC 9126) as single-use items: stored by POST /oauth2/par, taken once by the authorization endpoint.
import { randomValues } from '../../crypto.js';
import {
  AlreadyConsumed,
  ConditionFailed,
  unverifiedInvalidRequest,
  unverifiedInvalidRequestUri,
} from '../../errors.js';
import type { AuthorizationRequest, ClientRecord } from '../../model.js';
import { optional, type Params } from '../../params.js';
import { nowSeconds, type Workspace } from '../../workspace.js';

/** RFC 9126 §2.2: the URN namespace of request URIs; the rest is ours. */
const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** The single-use kind the pushed requests are stored under. */
const KIND = 'par';
/** 256 bits (`randomValues.requestUriId`), as a code: the request URI travels through the browser, so it must not be guessable. */
const ID = /^[A-Za-z0-9_-]{43}$/;
/** Seconds a pushed request may wait for the browser; RFC 9126 §2.2 suggests a short lifetime (5 to 600 s). */
export const PUSHED_REQUEST_TTL = 60;

/** The stored item: the validated request, which names the client that pushed it. */
interface PushedRequest {
  readonly request: AuthorizationRequest;
}

/** Stores a validated request and returns the `request_uri` that names it. */
export async function pushRequest(ws: Workspace, request: AuthorizationRequest): Promise<string> {
  const id = randomValues.requestUriId();
  await ws.singleUse.put(KIND, id, { request } satisfies PushedRequest, nowSeconds(ws) + PUSHED_REQUEST_TTL);
  return `${REQUEST_URI_PREFIX}${id}`;
}

/**
 * The request pushed under the `request_uri` parameter, taken at most once, or undefined when the parameter names
 * no pushed request (absent, or of another form: a request object by reference, which the checks refuse).
 * Unknown, used, expired or another client's: `invalid_request_uri`, shown as a page. Another client's is
 * consumed all the same: it was presented by someone it was not issued to, so it may have leaked.
 */
export async function takePushedRequest(
  params: Params,
  client: ClientRecord,
  ws: Workspace,
): Promise<AuthorizationRequest | undefined> {
  const requestUri = optional(params, 'request_uri', unverifiedInvalidRequest);
  if (requestUri === undefined || !requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
  const refused = (detail: string) =>
    unverifiedInvalidRequestUri(
      'This sign-in request has expired or was already used. Start signing in again.',
      detail,
    );
  const id = requestUri.slice(REQUEST_URI_PREFIX.length);
  if (!ID.test(id)) throw refused('request_uri malformed');
  let pushed: PushedRequest | undefined;
  try {
    pushed = await ws.singleUse.consume<PushedRequest>(KIND, id, nowSeconds(ws));
  } catch (err) {
    if (err instanceof AlreadyConsumed) throw refused('request_uri already used');
    if (err instanceof ConditionFailed) throw refused('request_uri unknown or expired');
    throw err;
  }
  if (!pushed) throw refused('request_uri holds no request');
  if (pushed.request.clientId !== client.clientId) {
    throw refused(`request_uri of client ${pushed.request.clientId} presented for ${client.clientId}`);
  }
  return pushed.request;
}

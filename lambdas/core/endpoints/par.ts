// POST /oauth2/par (RFC 9126): an authenticated client pushes its authorization request and gets a request_uri for it.
import { authenticateClient } from '../client-auth/client-auth.js';
import { invalidRequest } from '../errors.js';
import { isFormBody, noStoreJson, parseForm, type CoreRequest, type CoreResponse } from '../http.js';
import { optional } from '../params.js';
import type { Workspace } from '../workspace.js';
import { checkRedirectUriRegistered } from './authorize/checks.js';
import { PUSHED_REQUEST_TTL, pushRequest } from './authorize/pushed-requests.js';
import { authorizationRequestDraft, validateAuthorizationRequest } from './authorize/request.js';

export async function pushedAuthorizationRequest(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  if (!isFormBody(req)) {
    throw invalidRequest(
      'The pushed authorization request must be application/x-www-form-urlencoded.',
      'body not form-urlencoded',
    );
  }
  const params = parseForm(req.body);
  const client = await authenticateClient(req, params, ws);
  // RFC 9126 §2.1: the request's client_id, when sent, is the authenticated client's.
  const clientId = optional(params, 'client_id');
  if (clientId !== undefined && clientId !== client.clientId) {
    throw invalidRequest('client_id does not match the authenticated client.', 'client_id differs from the client');
  }
  // RFC 9126 §2.1: a pushed request cannot itself be a reference to one.
  if (params.request_uri?.length) throw invalidRequest('request_uri cannot be pushed.', 'request_uri sent');
  // The authorization endpoint's checks, in its order. Every error is JSON here: there is no browser to send back,
  // so the redirect URI errors that are pages there are 400s like the rest.
  const target = checkRedirectUriRegistered(params, client);
  const request = await validateAuthorizationRequest(params, client, authorizationRequestDraft(client, target), ws);
  const requestUri = await pushRequest(ws, request);
  return noStoreJson(201, { request_uri: requestUri, expires_in: PUSHED_REQUEST_TTL });
}

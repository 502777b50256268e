// Client authentication (RFC 6749 §2.3, RFC 7523): works out the one method a request uses, then checks it as registered.
import { clientAuthThrottled, invalidClient, invalidRequest, OAuthError } from '../errors.js';
import { header, type CoreRequest } from '../http.js';
import type { ClientAuthMethod, ClientRecord } from '../model.js';
import { optional, type Params } from '../params.js';
import { isClientId } from '../registration/registration.js';
import { nowSeconds, type Workspace } from '../workspace.js';
import { assertionClientId, verifyClientAssertion, type ClientAssertion } from './private-key-jwt.js';
import { basicCredentials, secretMatches } from './secret.js';

type PresentedCredentials =
  | { readonly method: 'none'; readonly clientId: string }
  | {
      readonly method: 'client_secret_basic' | 'client_secret_post';
      readonly clientId: string;
      readonly secret: string;
    }
  | ({ readonly method: 'private_key_jwt'; readonly clientId: string } & ClientAssertion);

/** Works out which single method the request uses; presenting more than one is an error. */
function presentedCredentials(req: CoreRequest, params: Params): PresentedCredentials {
  const authorization = header(req, 'authorization');
  const bodyId = optional(params, 'client_id');
  const bodySecret = optional(params, 'client_secret');
  const assertion = optional(params, 'client_assertion');
  const assertionType = optional(params, 'client_assertion_type');
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  const asserted = assertion !== undefined || assertionType !== undefined;
  if ([basic, bodySecret, asserted].filter(Boolean).length > 1)
    throw invalidRequest('The client used more than one authentication method.', 'several authentication methods');
  if (basic) {
    const creds = basicCredentials(authorization!.slice(6).trim());
    if (bodyId !== undefined && bodyId !== creds.clientId)
      throw invalidRequest(
        'client_id does not match the authenticated client.',
        'client_id differs from the Basic header',
      );
    return { method: 'client_secret_basic', ...creds };
  }
  if (asserted) {
    if (assertion === undefined) throw invalidClient('client_assertion is required.', 'client_assertion missing');
    return { method: 'private_key_jwt', clientId: bodyId ?? assertionClientId(assertion), assertion, assertionType };
  }
  if (!bodyId) throw invalidClient('Client authentication is required.', 'no client authentication');
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/** The client exists and is registered for the method it used: no client picks its own way in. */
function registeredFor(client: ClientRecord | undefined, method: ClientAuthMethod): ClientRecord {
  if (!client) throw invalidClient('Client authentication failed.', 'unknown client');
  if (client.tokenEndpointAuthMethod !== method) {
    throw invalidClient(
      'Client authentication failed.',
      `method ${method} used, ${client.tokenEndpointAuthMethod} registered`,
    );
  }
  return client;
}

/** The failure counter of a client's secret. */
const secretFailures = (clientId: string): string => `client:${clientId}`;

/**
 * RFC 6749 §2.3.1 asks to protect secret authentication against brute force. Failures are counted in the table,
 * on the failure path only, so a successful request makes no extra call. A container that sees a client reach
 * its limit refuses that client's secrets from memory until the window ends; another container learns at its
 * first failure, so a window allows at most the limit plus one guess per warm container.
 */
function refuseIfLockedOut(ws: Workspace, clientId: string): void {
  const now = nowSeconds(ws);
  const until = ws.throttle.lockedUntil(secretFailures(clientId), now);
  if (until === undefined) return;
  ws.audit.emit('client.throttled', { clientId });
  throw clientAuthThrottled(
    'Too many failed client authentication attempts. Try again later.',
    until - now,
    'client secret locked out on this container',
  );
}

/** Authenticates the calling client; every failure is the same `invalid_client` to the caller. */
export async function authenticateClient(req: CoreRequest, params: Params, ws: Workspace): Promise<ClientRecord> {
  const creds = presentedCredentials(req, params);
  const bySecret = creds.method === 'client_secret_basic' || creds.method === 'client_secret_post';
  if (bySecret && isClientId(creds.clientId)) refuseIfLockedOut(ws, creds.clientId);
  const found = isClientId(creds.clientId) ? await ws.clients.get(creds.clientId) : undefined;
  // Compared before anything is refused, so the time taken does not tell whether the client exists.
  const secretOk = secretMatches('secret' in creds ? creds.secret : '', found);
  try {
    const client = registeredFor(found, creds.method);
    switch (creds.method) {
      case 'none':
        return client;
      case 'client_secret_basic':
      case 'client_secret_post':
        if (!secretOk) throw invalidClient('Client authentication failed.', 'secret mismatch');
        return client;
      case 'private_key_jwt':
        await verifyClientAssertion(req, creds, client, ws);
        return client;
    }
  } catch (err) {
    // Only registered clients are counted: an unknown id has nothing to guess, and counting it would store every
    // made-up id sent.
    if (bySecret && found && err instanceof OAuthError && err.error === 'invalid_client') {
      const { clientAuthThrottleWindow: window, maxClientAuthFailures: limit } = ws.settings;
      await ws.throttle.countFailure(secretFailures(found.clientId), window, limit, nowSeconds(ws));
    }
    throw err;
  }
}

// Client authentication at the token endpoint (RFC 6749 §2.3): one method per client, as registered.
import { verifyClientSecret } from '../crypto.js';
import { invalidClient, invalidRequest } from '../errors.js';
import { header, type CoreRequest } from '../http.js';
import type { ClientAuthMethod, ClientRecord } from '../model.js';
import { optional, type Params } from '../params.js';
import { isClientId } from '../registration/registration.js';
import type { Workspace } from '../workspace.js';

interface PresentedCredentials {
  readonly method: ClientAuthMethod;
  readonly clientId: string;
  readonly secret?: string;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before being put in the Basic header. */
function fromBasic(value: string): PresentedCredentials {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1)
    throw invalidClient('The Basic authorization header is malformed.', 'Basic credentials without a colon');
  try {
    return {
      method: 'client_secret_basic',
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw invalidClient('The Basic authorization header is malformed.', 'Basic credentials not percent-decodable');
  }
}

/** Works out which single method the request uses; presenting more than one is an error. */
function presentedCredentials(req: CoreRequest, params: Params): PresentedCredentials {
  const authorization = header(req, 'authorization');
  const bodyId = optional(params, 'client_id');
  const bodySecret = optional(params, 'client_secret');
  const assertion = optional(params, 'client_assertion');
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  if ([basic, bodySecret, assertion].filter(Boolean).length > 1)
    throw invalidRequest('The client used more than one authentication method.', 'several authentication methods');
  if (basic) {
    const creds = fromBasic(authorization!.slice(6).trim());
    if (bodyId !== undefined && bodyId !== creds.clientId)
      throw invalidRequest(
        'client_id does not match the authenticated client.',
        'client_id differs from the Basic header',
      );
    return creds;
  }
  if (assertion !== undefined) {
    if (!bodyId)
      throw invalidClient('Client assertions must name the client_id.', 'client_assertion without client_id');
    return { method: 'private_key_jwt', clientId: bodyId };
  }
  if (!bodyId) throw invalidClient('Client authentication is required.', 'no client authentication');
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/** Authenticates the calling client; every failure is the same `invalid_client` to the caller. */
export async function authenticateClient(req: CoreRequest, params: Params, ws: Workspace): Promise<ClientRecord> {
  const creds = presentedCredentials(req, params);
  const client = isClientId(creds.clientId) ? await ws.clients.get(creds.clientId) : undefined;
  const secretOk = verifyClientSecret(creds.secret ?? '', client?.secretHash);
  if (!client) throw invalidClient('Client authentication failed.', 'unknown client');
  if (client.tokenEndpointAuthMethod !== creds.method) {
    throw invalidClient(
      'Client authentication failed.',
      `method ${creds.method} used, ${client.tokenEndpointAuthMethod} registered`,
    );
  }
  switch (creds.method) {
    case 'none':
      return client;
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!secretOk) throw invalidClient('Client authentication failed.', 'secret mismatch');
      return client;
    default:
      throw invalidClient('Client authentication failed.', `method ${creds.method} is not enabled`);
  }
}

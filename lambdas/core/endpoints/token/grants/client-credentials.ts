// grant_type=client_credentials (RFC 6749 §4.4): a confidential client gets an access token for itself; nothing is stored.
import { invalidScope, unauthorizedClient } from '../../../errors.js';
import type { ClientRecord } from '../../../model.js';
import { optional, parseScope } from '../../../params.js';
import { requestedResources, tokenAudience } from '../../../resource-indicators.js';
import type { GrantHandler } from '../grant.js';
import { issueTokens, tokenResponse } from '../grant-steps.js';

/** Scopes that only mean something for a user (an ID token, a refresh token): a token of the client itself has none. */
const USER_SCOPES: readonly string[] = ['openid', 'offline_access'];

/** The scopes asked for, each registered and none a user scope; without `scope`, every registered scope but those. */
function grantedScopes(requested: string | undefined, client: ClientRecord): string[] {
  if (requested === undefined) return client.scopes.filter((s) => !USER_SCOPES.includes(s));
  const scopes = parseScope(requested);
  if (scopes.some((s) => USER_SCOPES.includes(s))) {
    throw invalidScope(
      'The client_credentials grant issues no token for a user, so it cannot grant openid or offline_access.',
      'user scope requested with client_credentials',
    );
  }
  const refused = scopes.filter((s) => !client.scopes.includes(s));
  if (refused.length) {
    throw invalidScope(
      'The client may not request one or more of these scopes.',
      `scope not registered for client ${client.clientId}`,
    );
  }
  return scopes;
}

export const clientCredentialsGrant: GrantHandler = async (params, client, ws) => {
  // Registration refuses this grant to public clients; a record written behind its back is refused here as well.
  if (client.tokenEndpointAuthMethod === 'none') {
    throw unauthorizedClient(
      'A public client may not use the client_credentials grant.',
      `client ${client.clientId} is public`,
    );
  }
  const scopes = grantedScopes(optional(params, 'scope'), client);
  const audience = tokenAudience(requestedResources(params, client), client, ws);
  const tokens = await issueTokens(ws, { clientId: client.clientId, sub: client.clientId, scopes, audience });
  ws.audit.emit('token.issued', { clientId: client.clientId, sub: client.clientId, grantType: 'client_credentials' });
  return tokenResponse(tokens, scopes);
};

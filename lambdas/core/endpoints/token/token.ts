// POST /oauth2/token: authenticates the client and dispatches to the grant named by grant_type.
import { authenticateClient } from '../../client-auth/client-auth.js';
import { unauthorizedClient, unsupportedGrantType } from '../../errors.js';
import { noStoreJson, type CoreRequest, type CoreResponse } from '../../http.js';
import type { GrantType } from '../../model.js';
import { formParams, required } from '../../params.js';
import type { Workspace } from '../../workspace.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import type { GrantHandler } from './grant.js';

/** Adding a grant is adding a file and a line here. */
export const grants: Partial<Record<GrantType, GrantHandler>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

export async function token(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  const params = formParams(req, 'token');
  const grantType = required(params, 'grant_type');
  const client = await authenticateClient(req, params, ws);
  // Own properties only: `constructor` or `toString` is an unsupported grant type, not a member of Object.prototype.
  const grant = Object.hasOwn(grants, grantType) ? grants[grantType as GrantType] : undefined;
  if (!grant) throw unsupportedGrantType('The grant type is not supported.', 'grant_type unknown');
  if (!client.grantTypes.includes(grantType as GrantType)) {
    throw unauthorizedClient(
      'The client may not use this grant type.',
      `grant ${grantType} not registered for client ${client.clientId}`,
    );
  }
  const body = await grant(params, client, ws);
  return noStoreJson(200, body);
}

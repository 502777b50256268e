// POST /oauth2/revoke (RFC 7009): a client revokes one of its own tokens; a refresh token takes its whole grant with it.
import { authenticateClient } from '../client-auth/client-auth.js';
import { hashToken } from '../crypto.js';
import { emptyOk, type CoreRequest, type CoreResponse } from '../http.js';
import { verifyAccessToken } from '../jwt/access-token.js';
import type { ClientRecord } from '../model.js';
import { formParams } from '../params.js';
import { nowSeconds, type Workspace } from '../workspace.js';
import { presentedToken } from './presented-token.js';

/**
 * RFC 7009 §2.1: revoking a refresh token revokes the grant, and with it every refresh and access token of the
 * family. Another client's token is left alone, and nobody learns that it exists.
 */
async function revokeRefreshToken(ws: Workspace, client: ClientRecord, token: string): Promise<void> {
  const record = await ws.grants.getRefreshToken(hashToken(token));
  if (record === undefined || record.clientId !== client.clientId) return;
  await ws.grants.revokeGrant(record.grantId, nowSeconds(ws));
  ws.audit.emit('token.revoked', { clientId: client.clientId, grantId: record.grantId, tokenType: 'refresh_token' });
}

/**
 * An access token is revoked alone, by its `jti`, until it expires; one that does not verify (malformed,
 * expired, not ours) or was issued to another client is left as it is.
 */
async function revokeAccessToken(ws: Workspace, client: ClientRecord, token: string): Promise<void> {
  const verified = await verifyAccessToken(ws, token);
  if ('failure' in verified) return;
  const { jti, exp, client_id: clientId } = verified.payload;
  if (typeof jti !== 'string' || typeof exp !== 'number' || clientId !== client.clientId) return;
  await ws.grants.revokeAccessToken(jti, exp);
  ws.audit.emit('token.revoked', { clientId: client.clientId, jti, tokenType: 'access_token' });
}

/** Always an empty 200 once the client is authenticated (RFC 7009 §2.2): whether anything was revoked is not told. */
export async function revocation(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  const params = formParams(req, 'revocation');
  const client = await authenticateClient(req, params, ws);
  const token = presentedToken(params);
  if (token.kind === 'access_token') await revokeAccessToken(ws, client, token.value);
  else await revokeRefreshToken(ws, client, token.value);
  return emptyOk();
}

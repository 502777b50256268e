// POST /oauth2/introspect (RFC 7662): tells a resource server whether a token still stands, and what it carries.
import { authenticateClient } from '../client-auth/client-auth.js';
import { hashToken } from '../crypto.js';
import { clientNotPermitted } from '../errors.js';
import { noStoreJson, type CoreRequest, type CoreResponse } from '../http.js';
import { verifyAccessToken } from '../jwt/access-token.js';
import { formParams } from '../params.js';
import type { TokenStanding } from '../ports/storage.js';
import { stillSignedIn } from '../user-status.js';
import { nowSeconds, type Workspace } from '../workspace.js';
import { presentedToken } from './presented-token.js';

type Introspection = Readonly<Record<string, unknown>>;

/** RFC 7662 §2.2: whatever the reason, an unusable token gets this and nothing more. */
const INACTIVE: Introspection = { active: false };

/** The grant of a token still stands: written (not only a revocation tombstone), not revoked, its user still signed in. */
function grantStands(standing: TokenStanding, sub: string): boolean {
  const { grant, user } = standing;
  if (grant?.authTime === undefined || grant.revokedAt !== undefined || grant.sub !== sub) return false;
  return stillSignedIn(user, grant.authTime);
}

/**
 * A JWT this workspace signed and that has not expired stands unless its `jti` was revoked; one issued under a
 * grant (`gid`) also falls with its grant and its user. Tokens without a grant (client credentials) have no user.
 */
async function accessToken(ws: Workspace, token: string): Promise<Introspection> {
  const verified = await verifyAccessToken(ws, token);
  if ('failure' in verified) return INACTIVE;
  const { payload } = verified;
  const { jti, sub, gid } = payload;
  if (typeof jti !== 'string' || typeof sub !== 'string') return INACTIVE;
  const grantId = typeof gid === 'string' ? gid : undefined;
  const standing = await ws.grants.tokenStanding(grantId === undefined ? { jti } : { jti, grantId, sub });
  if (standing.jtiRevoked || (grantId !== undefined && !grantStands(standing, sub))) return INACTIVE;
  return {
    active: true,
    token_type: 'Bearer',
    scope: payload.scope,
    client_id: payload.client_id,
    sub,
    aud: payload.aud,
    iss: payload.iss,
    exp: payload.exp,
    iat: payload.iat,
    jti,
  };
}

/** A refresh token stands while it is unused, within its idle and absolute lifetime, and its grant stands. */
async function refreshToken(ws: Workspace, token: string): Promise<Introspection> {
  const record = await ws.grants.getRefreshToken(hashToken(token));
  if (record === undefined || record.consumed || record.expiresAt <= nowSeconds(ws)) return INACTIVE;
  const standing = await ws.grants.tokenStanding({ grantId: record.grantId, sub: record.sub });
  if (!grantStands(standing, record.sub)) return INACTIVE;
  return {
    active: true,
    token_type: 'refresh_token',
    scope: record.scopes.join(' '),
    client_id: record.clientId,
    sub: record.sub,
    aud: record.audience,
    iss: ws.issuer,
    exp: record.expiresAt,
    iat: record.issuedAt,
  };
}

/**
 * Only clients registered with `introspection: true` (resource servers) may ask; any other authenticated client
 * is refused with 403 `unauthorized_client`: its credentials are fine, so a 401 would wrongly tell it to retry.
 */
export async function introspection(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  const params = formParams(req, 'introspection');
  const client = await authenticateClient(req, params, ws);
  if (client.introspection !== true) {
    throw clientNotPermitted(
      'The client may not introspect tokens.',
      `client ${client.clientId} is not registered for introspection`,
    );
  }
  const token = presentedToken(params);
  const answer =
    token.kind === 'access_token' ? await accessToken(ws, token.value) : await refreshToken(ws, token.value);
  return noStoreJson(200, answer);
}

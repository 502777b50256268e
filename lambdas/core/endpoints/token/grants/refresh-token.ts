// grant_type=refresh_token (RFC 6749 §6, RFC 9700 §4.14, OAuth 2.1 §4.3): every use rotates the token; a rotated one used again revokes its family.
import { hashToken } from '../../../crypto.js';
import { AlreadyConsumed, ConditionFailed, invalidGrant, invalidScope, invalidTarget } from '../../../errors.js';
import type { RefreshTokenRecord } from '../../../model.js';
import { optional, parseScope, repeated, required, type Params } from '../../../params.js';
import { nowSeconds, type Workspace } from '../../../workspace.js';
import type { GrantHandler } from '../grant.js';
import { activeUser, issueTokens, newRefreshToken, revokeReplayedGrant, tokenResponse } from '../grant-steps.js';

const UNUSABLE_TOKEN = 'The refresh token is invalid, expired or revoked.';

/**
 * RFC 6749 §6: the request may ask for fewer scopes than were granted, for the access token issued now; the
 * grant keeps them all, so a later refresh may ask for them again. Asking for more is `invalid_scope`.
 */
function narrowedScopes(params: Params, granted: readonly string[]): readonly string[] {
  const asked = parseScope(optional(params, 'scope'));
  const beyond = asked.filter((s) => !granted.includes(s));
  if (beyond.length > 0) {
    throw invalidScope('The requested scope exceeds what was granted.', `scopes not granted: ${beyond.join(' ')}`);
  }
  return asked.length > 0 ? asked : granted;
}

/** RFC 8707 §2.2: `resource` picks the access token's audience among the grant's; anything else is `invalid_target`. */
function narrowedAudience(params: Params, granted: readonly string[]): readonly string[] {
  const asked = [...new Set(repeated(params, 'resource'))];
  if (asked.some((r) => !granted.includes(r))) {
    throw invalidTarget('The requested resource was not granted.', 'resource outside the grant audience');
  }
  return asked.length > 0 ? asked : granted;
}

/**
 * A rotation refused by the store is a replay if the token turns out consumed: another request used it
 * between our read and our write (concurrent refreshes), and with rotation only one of them may be genuine.
 */
async function refusedRotation(ws: Workspace, tokenHash: string, presented: RefreshTokenRecord): Promise<never> {
  const after = await ws.grants.getRefreshToken(tokenHash);
  if (after?.consumed) return revokeReplayedGrant(ws, 'refresh.replayed', presented, UNUSABLE_TOKEN);
  throw invalidGrant(UNUSABLE_TOKEN, 'grant revoked or over, or token expired meanwhile');
}

export const refreshTokenGrant: GrantHandler = async (params, client, ws) => {
  const tokenHash = hashToken(required(params, 'refresh_token'));
  const presented = await ws.grants.getRefreshToken(tokenHash);
  const now = nowSeconds(ws);
  if (!presented) throw invalidGrant(UNUSABLE_TOKEN, 'unknown refresh token');
  // First: another client's token is refused and left exactly as it was, used or not.
  if (presented.clientId !== client.clientId) {
    throw invalidGrant(UNUSABLE_TOKEN, `refresh token of client ${presented.clientId} presented by ${client.clientId}`);
  }
  if (presented.consumed) return revokeReplayedGrant(ws, 'refresh.replayed', presented, UNUSABLE_TOKEN);
  if (presented.expiresAt <= now) throw invalidGrant(UNUSABLE_TOKEN, 'refresh token expired');
  const scopes = narrowedScopes(params, presented.scopes);
  const audience = narrowedAudience(params, presented.audience);
  const user = activeUser(ws, presented.sub, presented.authTime);

  const successor = newRefreshToken(ws, presented, now);
  // OIDC Core §12.2: the ID token keeps the original auth_time and carries no nonce.
  const tokens = await issueTokens(
    ws,
    {
      clientId: client.clientId,
      sub: presented.sub,
      scopes,
      audience,
      authTime: presented.authTime,
      grantId: presented.grantId,
    },
    user,
  );
  try {
    await ws.grants.rotateRefreshToken(tokenHash, successor.record, now);
  } catch (err) {
    if (err instanceof AlreadyConsumed) return revokeReplayedGrant(ws, 'refresh.replayed', presented, UNUSABLE_TOKEN);
    if (err instanceof ConditionFailed) return refusedRotation(ws, tokenHash, presented);
    throw err;
  }
  ws.audit.emit('token.issued', {
    clientId: client.clientId,
    sub: presented.sub,
    grantType: 'refresh_token',
    grantId: presented.grantId,
  });
  return tokenResponse(tokens, scopes, successor.token);
};

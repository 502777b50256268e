// RFC 9068 JWT access tokens: signed here, and verified here against the workspace's own keys.
import { type JWTPayload, jwtVerify } from 'jose';
import { newId } from '../crypto.js';
import type { Workspace } from '../workspace.js';
import { signingAlgs, verificationKeys } from './key-set.js';
import { signJwt } from './sign.js';

export interface AccessTokenClaims {
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly audience: readonly string[];
  readonly authTime?: number;
  /** The grant (token family) it is issued under, carried as the private claim `gid`. */
  readonly grantId?: string;
}

const single = (values: readonly string[]): string | readonly string[] => (values.length === 1 ? values[0]! : values);

/**
 * The `aud` of an access token: the audience it was issued for and, when `openid` is among its scopes, the issuer,
 * which is the identifier of the UserInfo endpoint. UserInfo accepts no token without it (`madeOutToUserInfo`), so
 * a token asked for another resource alone is never good there; one granted `openid` says so in its own `aud`.
 * Decided at signing, so every grant (code, refresh, client credentials) follows the same rule.
 */
function accessTokenAudience(
  ws: Pick<Workspace, 'issuer'>,
  audience: readonly string[],
  scopes: readonly string[],
): readonly string[] {
  return scopes.includes('openid') && !audience.includes(ws.issuer) ? [...audience, ws.issuer] : audience;
}

/** Whether a verified access token is made out to UserInfo: its `aud` names the issuer. */
export function madeOutToUserInfo(ws: Pick<Workspace, 'issuer'>, payload: JWTPayload): boolean {
  return payload.aud === ws.issuer || (Array.isArray(payload.aud) && payload.aud.includes(ws.issuer));
}

/**
 * Signs an access token issued at `iat` (epoch seconds) that lives `accessTokenTtl` seconds. `gid` names its
 * grant, so that introspection can tell a token of a revoked family (a replayed code or refresh token) from
 * a good one without a record per token; it is an opaque id and tells a resource server nothing else.
 */
export function signAccessToken(
  ws: Pick<Workspace, 'issuer' | 'keys' | 'settings'>,
  claims: AccessTokenClaims,
  iat: number,
): Promise<string> {
  return signJwt(
    ws.keys.active,
    { typ: 'at+jwt' },
    {
      iss: ws.issuer,
      sub: claims.sub,
      aud: single(accessTokenAudience(ws, claims.audience, claims.scopes)),
      client_id: claims.clientId,
      scope: claims.scopes.join(' '),
      iat,
      exp: iat + ws.settings.accessTokenTtl,
      jti: newId(),
      ...(claims.authTime !== undefined && { auth_time: claims.authTime }),
      ...(claims.grantId !== undefined && { gid: claims.grantId }),
    },
  );
}

/**
 * The payload of an access token this workspace signed and that has not expired; for anything else (malformed,
 * another issuer's or key's, expired, not an access token) why it failed, for the logs. A key that cannot be
 * loaded throws: that is the server's failure, not the token's.
 */
export async function verifyAccessToken(
  ws: Pick<Workspace, 'issuer' | 'keys' | 'clock'>,
  token: string,
): Promise<{ payload: JWTPayload } | { failure: string }> {
  const keys = await verificationKeys(ws);
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: ws.issuer,
      typ: 'at+jwt',
      algorithms: signingAlgs(ws),
      currentDate: new Date(ws.clock.now()),
    });
    return { payload };
  } catch (err) {
    return { failure: `verification failed: ${(err as { code?: string }).code ?? 'unknown'}` };
  }
}

// RFC 9068 JWT access tokens.
import { newId } from '../crypto.js';
import type { Workspace } from '../workspace.js';
import { signJwt } from './sign.js';

export interface AccessTokenClaims {
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly audience: readonly string[];
  readonly authTime?: number;
}

const single = (values: readonly string[]): string | readonly string[] => (values.length === 1 ? values[0]! : values);

/** Signs an access token issued at `iat` (epoch seconds) that lives `accessTokenTtl` seconds. */
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
      aud: single(claims.audience),
      client_id: claims.clientId,
      scope: claims.scopes.join(' '),
      iat,
      exp: iat + ws.settings.accessTokenTtl,
      jti: newId(),
      ...(claims.authTime !== undefined && { auth_time: claims.authTime }),
    },
  );
}

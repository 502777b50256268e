// OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6).
import { releasedClaims } from '../claims.js';
import type { Workspace } from '../workspace.js';
import { signJwt } from './sign.js';

export interface IdTokenClaims {
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly authTime?: number;
  readonly nonce?: string;
  /** The user's claims; the scopes decide which are released. */
  readonly userClaims?: Readonly<Record<string, unknown>>;
}

/** Signs an ID token issued at `iat`; it carries no `at_hash` (see `issueTokens`). */
export function signIdToken(
  ws: Pick<Workspace, 'issuer' | 'keys' | 'settings'>,
  claims: IdTokenClaims,
  iat: number,
): Promise<string> {
  return signJwt(
    ws.keys.active,
    { typ: 'JWT' },
    {
      ...releasedClaims(claims.userClaims ?? {}, claims.scopes),
      iss: ws.issuer,
      sub: claims.sub,
      aud: claims.clientId,
      azp: claims.clientId,
      iat,
      exp: iat + ws.settings.idTokenTtl,
      ...(claims.authTime !== undefined && { auth_time: claims.authTime }),
      ...(claims.nonce !== undefined && { nonce: claims.nonce }),
    },
  );
}

// The steps grants share: minting the token set and building the token response.
import { signAccessToken, type AccessTokenClaims } from '../../jwt/access-token.js';
import { signIdToken, type IdTokenClaims } from '../../jwt/id-token.js';
import { nowSeconds, type Workspace } from '../../workspace.js';
import type { TokenResponseBody } from './grant.js';

export type TokenSubject = AccessTokenClaims & IdTokenClaims;

export interface IssuedTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly idToken?: string;
}

/** The access token, and an ID token when `openid` was granted (signed after it: its at_hash covers it). */
export async function issueTokens(ws: Workspace, subject: TokenSubject): Promise<IssuedTokens> {
  const iat = nowSeconds(ws);
  const accessToken = await signAccessToken(ws, subject, iat);
  const expiresIn = ws.settings.accessTokenTtl;
  if (!subject.scopes.includes('openid')) return { accessToken, expiresIn };
  return { accessToken, expiresIn, idToken: await signIdToken(ws, subject, accessToken, iat) };
}

/** RFC 6749 §5.1 token response. */
export function tokenResponse(tokens: IssuedTokens, scopes: readonly string[]): TokenResponseBody {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    scope: scopes.join(' '),
    ...(tokens.idToken !== undefined && { id_token: tokens.idToken }),
  };
}

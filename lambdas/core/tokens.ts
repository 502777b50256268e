// Minting the JWTs: RFC 9068 access tokens and OIDC Core ID tokens (the ID token after the access token: at_hash covers it).
import { newId, sha256 } from './crypto.js';
import { releasedClaims } from './claims.js';
import { signJwt } from './jws.js';
import { nowSeconds, type Workspace } from './workspace.js';

export interface TokenSubject {
  readonly clientId: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly audience: readonly string[];
  readonly authTime?: number;
  readonly nonce?: string;
  /** The user's claims, when an ID token is to carry them. */
  readonly userClaims?: Readonly<Record<string, unknown>>;
}

export interface IssuedTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly idToken?: string;
}

/** OIDC Core §3.1.3.6: base64url of the left half of the SHA-256 of the access token. */
export function atHash(accessToken: string): string {
  return sha256(accessToken).subarray(0, 16).toString('base64url');
}

const single = (values: readonly string[]): string | readonly string[] => (values.length === 1 ? values[0]! : values);

export async function issueTokens(ws: Workspace, subject: TokenSubject): Promise<IssuedTokens> {
  const iat = nowSeconds(ws);
  const { accessTokenTtl, idTokenTtl } = ws.settings;
  const accessToken = await signJwt(ws.keys.active, { typ: 'at+jwt' }, {
    iss: ws.issuer,
    sub: subject.sub,
    aud: single(subject.audience),
    client_id: subject.clientId,
    scope: subject.scopes.join(' '),
    iat,
    exp: iat + accessTokenTtl,
    jti: newId(),
    ...(subject.authTime !== undefined && { auth_time: subject.authTime }),
  });
  if (!subject.scopes.includes('openid')) return { accessToken, expiresIn: accessTokenTtl };
  const idToken = await signJwt(ws.keys.active, { typ: 'JWT' }, {
    ...releasedClaims(subject.userClaims ?? {}, subject.scopes),
    iss: ws.issuer,
    sub: subject.sub,
    aud: subject.clientId,
    azp: subject.clientId,
    iat,
    exp: iat + idTokenTtl,
    ...(subject.authTime !== undefined && { auth_time: subject.authTime }),
    ...(subject.nonce !== undefined && { nonce: subject.nonce }),
    at_hash: atHash(accessToken),
  });
  return { accessToken, expiresIn: accessTokenTtl, idToken };
}

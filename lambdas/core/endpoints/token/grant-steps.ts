// The steps grants share: the user check, replay handling, refresh tokens, minting the token set and the token response.
import { hashToken, randomValues } from '../../crypto.js';
import { invalidGrant } from '../../errors.js';
import { signAccessToken, type AccessTokenClaims } from '../../jwt/access-token.js';
import { signIdToken, type IdTokenClaims } from '../../jwt/id-token.js';
import type { ClientRecord, RefreshTokenRecord, UserRecord } from '../../model.js';
import { stillSignedIn } from '../../user-status.js';
import { nowSeconds, type Workspace } from '../../workspace.js';
import type { TokenResponseBody } from './grant.js';

export type TokenSubject = AccessTokenClaims & IdTokenClaims;

export interface IssuedTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly idToken?: string;
}

/** The user a grant was issued to, if they may still use it: present, enabled, not signed out since `authTime`. */
export async function activeUser(ws: Workspace, sub: string, authTime: number): Promise<UserRecord> {
  const user = await ws.users.findBySub(sub);
  if (!stillSignedIn(user, authTime)) {
    throw invalidGrant('The user of this authorization is no longer active.', 'user disabled, removed or signed out');
  }
  return user;
}

/**
 * A second use of a single-use credential (a code, a rotated refresh token) means it leaked (RFC 6749 §4.1.2,
 * RFC 9700 §4.14.2): its grant is revoked, and with it every refresh token and access token of the family.
 */
export async function revokeReplayedGrant(
  ws: Workspace,
  event: 'code.replayed' | 'refresh.replayed',
  replayed: { readonly grantId: string; readonly clientId: string },
  description: string,
): Promise<never> {
  await ws.grants.revokeGrant(replayed.grantId, nowSeconds(ws));
  ws.audit.emit(event, { clientId: replayed.clientId, grantId: replayed.grantId });
  throw invalidGrant(description, event);
}

/**
 * Whether the client gets a refresh token for these scopes: it must be registered for the grant, and an OpenID
 * request must ask for `offline_access` (OIDC Core §11), while a plain OAuth request (no `openid`) needs nothing more.
 */
export function issuesRefreshToken(client: ClientRecord, scopes: readonly string[]): boolean {
  if (!client.grantTypes.includes('refresh_token')) return false;
  return !scopes.includes('openid') || scopes.includes('offline_access');
}

/** The family's fields a refresh token carries over from its grant or predecessor. */
export type RefreshTokenFamily = Omit<RefreshTokenRecord, 'tokenHash' | 'issuedAt' | 'expiresAt'>;

/** A new refresh token of the family and the record that stores only its hash; it never outlives the grant. */
export function newRefreshToken(
  ws: Workspace,
  family: RefreshTokenFamily,
  now: number,
): { readonly token: string; readonly record: RefreshTokenRecord } {
  const token = randomValues.refreshToken();
  const record: RefreshTokenRecord = {
    tokenHash: hashToken(token),
    grantId: family.grantId,
    clientId: family.clientId,
    sub: family.sub,
    scopes: family.scopes,
    audience: family.audience,
    authTime: family.authTime,
    issuedAt: now,
    expiresAt: Math.min(now + ws.settings.refreshTokenIdleTtl, family.grantExpiresAt),
    grantExpiresAt: family.grantExpiresAt,
  };
  return { token, record };
}

/**
 * The access token and, when `openid` was granted, an ID token, signed concurrently: one signing round trip of
 * latency. `user` is the grant's user being read (see `activeUser`) while the access token is signed; the ID token
 * waits only for their claims, and nothing is issued unless they are still active. The ID token carries no `at_hash`:
 * it is optional in the code flow (OIDC Core §3.1.3.6), both tokens come together from the token endpoint, and
 * covering the access token would make one signature wait for the other.
 */
export async function issueTokens(
  ws: Workspace,
  subject: Omit<TokenSubject, 'userClaims'>,
  user?: Promise<UserRecord>,
): Promise<IssuedTokens> {
  const iat = nowSeconds(ws);
  const expiresIn = ws.settings.accessTokenTtl;
  const idToken = subject.scopes.includes('openid')
    ? (user ?? Promise.resolve(undefined)).then((u) => signIdToken(ws, { ...subject, userClaims: u?.claims }, iat))
    : undefined;
  const [accessToken, signedIdToken] = await Promise.all([signAccessToken(ws, subject, iat), idToken, user]);
  return { accessToken, expiresIn, ...(signedIdToken !== undefined && { idToken: signedIdToken }) };
}

/** RFC 6749 §5.1 token response. */
export function tokenResponse(
  tokens: IssuedTokens,
  scopes: readonly string[],
  refreshToken?: string,
): TokenResponseBody {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    scope: scopes.join(' '),
    ...(tokens.idToken !== undefined && { id_token: tokens.idToken }),
    ...(refreshToken !== undefined && { refresh_token: refreshToken }),
  };
}

// GET/POST /userinfo (OIDC Core §5.3): claims of the access token's subject, released by its scopes.
import { releasedClaims } from '../claims.js';
import { accessTokenRequired, insufficientScope, invalidRequest, invalidToken } from '../errors.js';
import { header, isFormBody, noStoreJson, parseForm, type CoreRequest, type CoreResponse } from '../http.js';
import { madeOutToUserInfo, verifyAccessToken } from '../jwt/access-token.js';
import { optional, parseScope } from '../params.js';
import { stillSignedIn } from '../user-status.js';
import type { Workspace } from '../workspace.js';

/** RFC 6750 §2.1 header, or §2.2 form body on POST; never both. */
function bearerToken(req: CoreRequest): string {
  const authorization = header(req, 'authorization');
  const fromHeader = authorization?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/i)?.[1];
  const fromBody = req.method === 'POST' && isFormBody(req) ? optional(parseForm(req.body), 'access_token') : undefined;
  if (fromHeader && fromBody)
    throw invalidRequest('The access token was sent more than once.', 'access token in header and body');
  const token = fromHeader ?? fromBody;
  if (!token) throw accessTokenRequired('An access token is required.', 'no access token');
  return token;
}

export async function userinfo(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  const verified = await verifyAccessToken(ws, bearerToken(req));
  if ('failure' in verified) throw invalidToken('The access token is invalid or expired.', verified.failure);
  const { payload } = verified;
  const scopes = parseScope(typeof payload.scope === 'string' ? payload.scope : '');
  if (!scopes.includes('openid')) {
    throw insufficientScope('The access token does not carry the openid scope.', 'openid', 'openid scope missing');
  }
  // RFC 9068 §4: a token for another resource alone is not one for UserInfo, whoever presents it.
  if (!madeOutToUserInfo(ws, payload))
    throw invalidToken('The access token is invalid or expired.', 'aud does not name the issuer');
  const user = payload.sub ? await ws.users.findBySub(payload.sub) : undefined;
  // The user is read anyway, so a sign-out is honoured here at no cost; a jti revoked by RFC 7009 is not (see README).
  const authTime = typeof payload.auth_time === 'number' ? payload.auth_time : 0;
  if (!stillSignedIn(user, authTime))
    throw invalidToken('The access token is invalid or expired.', 'user disabled, removed or signed out');
  return noStoreJson(200, { ...releasedClaims(user.claims, scopes), sub: user.sub });
}

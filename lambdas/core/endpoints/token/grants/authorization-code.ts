// grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is consumed only if tokens can be issued.
import { hashToken, s256, safeEqual } from '../../../crypto.js';
import { AlreadyConsumed, ConditionFailed, invalidGrant } from '../../../errors.js';
import type { ClientRecord, CodeRecord, GrantRecord } from '../../../model.js';
import { optional, required, type Params } from '../../../params.js';
import { nowSeconds } from '../../../workspace.js';
import type { GrantHandler } from '../grant.js';
import {
  activeUser,
  issueTokens,
  issuesRefreshToken,
  newRefreshToken,
  revokeReplayedGrant,
  tokenResponse,
} from '../grant-steps.js';

/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

const UNUSABLE_CODE = 'The authorization code is invalid, expired or already used.';

function checkBindings(code: CodeRecord, client: ClientRecord, params: Params): void {
  const redirectUri = optional(params, 'redirect_uri');
  const verifier = optional(params, 'code_verifier');
  if (code.clientId !== client.clientId) {
    throw invalidGrant(
      'The authorization code was issued to another client.',
      `code of client ${code.clientId} presented by ${client.clientId}`,
    );
  }
  if ((code.redirectUriSent || redirectUri !== undefined) && redirectUri !== code.redirectUri) {
    throw invalidGrant('redirect_uri does not match the authorization request.', 'redirect_uri mismatch');
  }
  if (code.codeChallenge === undefined) {
    // RFC 9700 §4.8 (PKCE downgrade): a verifier for a code issued without a challenge means the request was altered.
    if (verifier !== undefined)
      throw invalidGrant(
        'code_verifier was sent, but the authorization request had no code_challenge.',
        'code_verifier without challenge',
      );
    return;
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required.', 'code_verifier missing');
  if (!VERIFIER.test(verifier) || !safeEqual(s256(verifier), code.codeChallenge)) {
    throw invalidGrant('code_verifier does not match the code_challenge.', 'code_verifier mismatch');
  }
}

export const authorizationCodeGrant: GrantHandler = async (params, client, ws) => {
  const codeHash = hashToken(required(params, 'code'));
  const code = await ws.grants.getCode(codeHash);
  const now = nowSeconds(ws);
  if (!code) throw invalidGrant(UNUSABLE_CODE, 'unknown code');
  // The bindings first: only the client the code was issued to, holding its verifier, can be replaying it. Anyone
  // else presenting a used code (read from a log or a Referer) is refused and revokes nothing, so cannot end the
  // grant; a failed check consumes nothing either, so nobody can burn a code they cannot redeem.
  checkBindings(code, client, params);
  if (code.consumed) return revokeReplayedGrant(ws, 'code.replayed', code, UNUSABLE_CODE);
  if (code.expiresAt <= now) throw invalidGrant(UNUSABLE_CODE, 'expired');

  // The user is read while the access token is signed; their claims are all the ID token waits for.
  const user = activeUser(ws, code.sub, code.authTime);
  const refresh = issuesRefreshToken(client, code.scopes);
  const grant: GrantRecord = {
    grantId: code.grantId,
    clientId: client.clientId,
    sub: code.sub,
    scopes: code.scopes,
    audience: code.audience,
    authTime: code.authTime,
    createdAt: now,
    // Without a refresh token the family is just this access token.
    expiresAt: now + (refresh ? ws.settings.refreshTokenAbsoluteTtl : ws.settings.accessTokenTtl),
  };
  const refreshToken = refresh ? newRefreshToken(ws, { ...grant, grantExpiresAt: grant.expiresAt }, now) : undefined;
  const tokens = await issueTokens(ws, code, user);
  try {
    await ws.grants.redeemCode(codeHash, { grant, ...(refreshToken && { refreshToken: refreshToken.record }) }, now);
  } catch (err) {
    if (err instanceof AlreadyConsumed) return revokeReplayedGrant(ws, 'code.replayed', code, UNUSABLE_CODE);
    if (err instanceof ConditionFailed) throw invalidGrant(UNUSABLE_CODE, 'lost race or expired');
    throw err;
  }
  ws.audit.emit('token.issued', {
    clientId: client.clientId,
    sub: code.sub,
    grantType: 'authorization_code',
    grantId: code.grantId,
  });
  return tokenResponse(tokens, code.scopes, refreshToken?.token);
};

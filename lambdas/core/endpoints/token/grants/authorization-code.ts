// grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is consumed only if tokens can be issued.
import { hashToken, s256, safeEqual } from '../../../crypto.js';
import { AlreadyConsumed, ConditionFailed, invalidGrant } from '../../../errors.js';
import type { ClientRecord, CodeRecord } from '../../../model.js';
import { optional, required, type Params } from '../../../params.js';
import { nowSeconds, type Workspace } from '../../../workspace.js';
import type { GrantHandler } from '../grant.js';
import { issueTokens, tokenResponse } from '../grant-steps.js';

/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * A second use of a code means it leaked (RFC 6749 §4.1.2): the grant it was issued under is marked
 * revoked, the record that refresh-token rotation and introspection consult once those grants exist.
 */
async function revokeReplayedGrant(ws: Workspace, code: Pick<CodeRecord, 'grantId' | 'clientId'>): Promise<never> {
  await ws.grants.revokeGrant(code.grantId, nowSeconds(ws));
  ws.audit.emit('code.replayed', { clientId: code.clientId, grantId: code.grantId });
  throw invalidGrant('The authorization code is invalid, expired or already used.', 'code replay');
}

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
  if (!code) throw invalidGrant('The authorization code is invalid, expired or already used.', 'unknown code');
  if (code.consumed) return revokeReplayedGrant(ws, code);
  if (code.expiresAt <= now)
    throw invalidGrant('The authorization code is invalid, expired or already used.', 'expired');
  checkBindings(code, client, params);

  const user = await ws.users.findBySub(code.sub);
  if (!user || user.disabled)
    throw invalidGrant('The user of this authorization is no longer active.', 'user disabled or removed');
  const tokens = await issueTokens(ws, { ...code, userClaims: user.claims });
  try {
    await ws.grants.redeemCode(
      codeHash,
      {
        grant: {
          grantId: code.grantId,
          clientId: client.clientId,
          sub: code.sub,
          scopes: code.scopes,
          createdAt: now,
          expiresAt: now + ws.settings.accessTokenTtl,
        },
      },
      now,
    );
  } catch (err) {
    if (err instanceof AlreadyConsumed) return revokeReplayedGrant(ws, code);
    if (err instanceof ConditionFailed)
      throw invalidGrant('The authorization code is invalid, expired or already used.', 'lost race or expired');
    throw err;
  }
  ws.audit.emit('token.issued', {
    clientId: client.clientId,
    sub: code.sub,
    grantType: 'authorization_code',
    grantId: code.grantId,
  });
  return tokenResponse(tokens, code.scopes);
};

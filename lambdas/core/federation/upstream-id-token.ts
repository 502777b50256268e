// The upstream leg's ID token (OIDC Core §3.1.3.7): every check, so that nothing unverified reaches a local user.
import { errors, type JWTPayload } from 'jose';
import { safeEqual } from '../crypto.js';
import { verifyWithPublishedKeys } from '../jwt/published-keys.js';
import type { UpstreamMetadata, UpstreamProvider } from '../ports/upstream.js';
import type { IdentitySourceSettings } from './identity-sources.js';

/** The upstream answer cannot be trusted; the message names the rule broken, for the logs, never a value. */
export class UpstreamRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamRefused';
  }
}

/** Asymmetric algorithms only: `none` proves nothing, and an HMAC would be keyed with our own client secret. */
const ACCEPTED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** How far the provider's clock may be off ours, seconds: applied to `exp` and `iat`. */
export const UPSTREAM_CLOCK_TOLERANCE = 60;
/** The oldest `iat` accepted, seconds: the token was issued for this redemption, a moment ago. */
export const MAX_UPSTREAM_ID_TOKEN_AGE = 600;
/** Longest upstream `sub` (OIDC Core §2: at most 255 ASCII characters). */
const MAX_SUB_LENGTH = 255;

/** What failed, by jose's error code or claim name: never the token's contents. */
function ruleBroken(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim}: ${err.reason}`;
  if (err instanceof errors.JWTExpired) return `claim ${err.claim}: expired`;
  return (err as { code?: string }).code ?? 'malformed';
}

/**
 * The claims of the upstream ID token once it holds: signature by a key of the provider's JWKS with an accepted
 * algorithm, `iss` the source's issuer, `aud` containing our client id, `azp` ours when present (and present with
 * several audiences), `exp` not passed, `iat` neither in the future nor too old, `nonce` the one we sent, and a `sub`.
 */
export async function verifyUpstreamIdToken(
  upstream: UpstreamProvider,
  source: Pick<IdentitySourceSettings, 'issuer' | 'clientId'>,
  metadata: UpstreamMetadata,
  idToken: string,
  nonce: string,
  now: number,
): Promise<JWTPayload & { sub: string }> {
  const algorithms = metadata.idTokenSigningAlgs.filter((a) => ACCEPTED_ALGS.includes(a));
  if (algorithms.length === 0) throw new UpstreamRefused('the provider signs with no accepted algorithm');
  let claims: JWTPayload;
  try {
    claims = await verifyWithPublishedKeys(idToken, (refresh) => upstream.keySet(metadata.jwksUri, { refresh }), {
      algorithms,
      issuer: source.issuer,
      audience: source.clientId,
      currentDate: new Date(now * 1000),
      clockTolerance: UPSTREAM_CLOCK_TOLERANCE,
      maxTokenAge: MAX_UPSTREAM_ID_TOKEN_AGE,
      requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
    });
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new UpstreamRefused(`id token: ${ruleBroken(err)}`);
    throw err;
  }
  const { aud, azp, sub } = claims;
  // OIDC Core §3.1.3.7 items 4 and 5.
  if (Array.isArray(aud) && aud.length > 1 && azp === undefined)
    throw new UpstreamRefused('id token: several audiences and no azp');
  if (azp !== undefined && azp !== source.clientId) throw new UpstreamRefused('id token: azp is not our client');
  if (typeof claims.nonce !== 'string' || !safeEqual(claims.nonce, nonce))
    throw new UpstreamRefused('id token: nonce is not the one sent');
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUB_LENGTH)
    throw new UpstreamRefused('id token: sub missing or too long');
  return { ...claims, sub };
}

// private_key_jwt (RFC 7523 §2.2 and §3, OIDC Core §9): the client proves itself with a short-lived, single-use JWT it signs.
import { decodeJwt, errors, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { hashToken } from '../crypto.js';
import { keySetOf, verifyWith, verifyWithPublishedKeys } from '../jwt/published-keys.js';
import { AlreadyConsumed, ConditionFailed, invalidClient, OAuthError } from '../errors.js';
import type { CoreRequest } from '../http.js';
import type { ClientJwkSet, ClientRecord } from '../model.js';
import { ClientKeysUnavailable } from '../ports/client-keys.js';
import { CLIENT_ASSERTION_ALGS } from '../registration/registration.js';
import { nowSeconds, type Workspace } from '../workspace.js';

/** RFC 7523 §2.2: the one client_assertion_type accepted. */
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** How far the client's clock may be off ours, seconds: applied to `exp`, `nbf` and `iat`. */
export const ASSERTION_CLOCK_TOLERANCE = 15;
/**
 * How far ahead of now `exp` may be, seconds (plus the clock tolerance). An assertion is meant for one request:
 * a short life limits what a leaked one is worth, and how long its `jti` must be remembered.
 */
export const MAX_ASSERTION_LIFETIME = 300;

export interface ClientAssertion {
  readonly assertion: string;
  readonly assertionType: string | undefined;
}

/** Every failure is the same `invalid_client` to the caller; the detail names the rule, never the assertion's contents. */
const refused = (detail: string) => invalidClient('Client authentication failed.', detail);

/** RFC 7521 §4.2: with an assertion client_id may be left out, and its `sub` names the client (verified later). */
export function assertionClientId(assertion: string): string {
  let sub: unknown;
  try {
    sub = decodeJwt(assertion).sub;
  } catch {
    throw refused('client_assertion is not a JWT');
  }
  if (typeof sub !== 'string' || sub === '') throw refused('client_assertion without client_id or sub');
  return sub;
}

async function fetchKeySet(ws: Workspace, uri: string, refresh: boolean): Promise<ClientJwkSet> {
  try {
    return await ws.clientKeys.keySet(uri, { refresh });
  } catch (err) {
    if (err instanceof ClientKeysUnavailable) throw refused(`client keys unavailable: ${err.message}`);
    throw err;
  }
}

/** Inline keys, or the published ones; an unknown key asks for the published set again (the client may have rotated). */
async function verifyWithClientKeys(
  ws: Workspace,
  client: ClientRecord,
  assertion: string,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  if (client.jwks) return verifyWith(assertion, keySetOf(client.jwks), options);
  const { jwksUri } = client;
  if (!jwksUri) throw refused('the client has no registered keys');
  return verifyWithPublishedKeys(assertion, (refresh) => fetchKeySet(ws, jwksUri, refresh), options);
}

/** Which rule an assertion broke, for the logs: jose's error classes name the rule, never the value. */
function brokenRule(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'assertion expired (exp)';
  if (err instanceof errors.JWTClaimValidationFailed) {
    return err.reason === 'missing' ? `assertion lacks ${err.claim}` : `assertion ${err.claim} not accepted`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'assertion alg not allowed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the client matches the assertion';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'assertion signature invalid';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'assertion is not a signed JWT';
  if (err instanceof errors.JOSEError) return `assertion not verifiable (${err.code})`;
  return `assertion not verifiable (${err instanceof Error ? err.name : 'unknown error'})`;
}

/**
 * The `aud` values an assertion may carry: the issuer, the token endpoint (RFC 7523 §3, OIDC Core §9), and the
 * endpoint called, so revocation, introspection and PAR accept assertions made out to them too.
 */
function expectedAudiences(ws: Workspace, req: CoreRequest): string[] {
  return [...new Set([ws.issuer, `${ws.issuer}/oauth2/token`, `${ws.issuer}${req.path}`])];
}

/** Verifies `client`'s assertion and records its `jti` as used; throws `invalid_client` naming the rule it broke. */
export async function verifyClientAssertion(
  req: CoreRequest,
  credentials: ClientAssertion,
  client: ClientRecord,
  ws: Workspace,
): Promise<void> {
  if (credentials.assertionType !== JWT_BEARER_CLIENT_ASSERTION)
    throw refused('client_assertion_type missing or not jwt-bearer');
  const now = nowSeconds(ws);
  let claims: JWTPayload;
  try {
    claims = await verifyWithClientKeys(ws, client, credentials.assertion, {
      algorithms: [...CLIENT_ASSERTION_ALGS],
      issuer: client.clientId,
      subject: client.clientId,
      audience: expectedAudiences(ws, req),
      requiredClaims: ['exp', 'jti'],
      clockTolerance: ASSERTION_CLOCK_TOLERANCE,
      currentDate: new Date(ws.clock.now()),
    });
  } catch (err) {
    // Anything the keys or the assertion make fail is the client's failure to authenticate, never a server error.
    if (err instanceof OAuthError) throw err;
    throw refused(brokenRule(err));
  }
  // jose has checked that exp is a number and has not passed, and that iat, when present, is a number.
  const exp = claims.exp!;
  if (exp > now + MAX_ASSERTION_LIFETIME + ASSERTION_CLOCK_TOLERANCE) throw refused('assertion exp too far ahead');
  if (claims.iat !== undefined && claims.iat > now + ASSERTION_CLOCK_TOLERANCE)
    throw refused('assertion iat in the future');
  const { jti } = claims;
  if (typeof jti !== 'string' || jti === '') throw refused('assertion jti not a non-empty string');
  await consumeJti(ws, client, jti, exp, now);
}

/**
 * RFC 7523 §3 item 7: one use per `jti`, by one conditional write. The mark lives as long as the assertion could
 * still be accepted (exp plus the tolerance); the jti is hashed, so any length makes a key of one size.
 */
async function consumeJti(ws: Workspace, client: ClientRecord, jti: string, exp: number, now: number): Promise<void> {
  try {
    await ws.singleUse.consume('jti', `${client.clientId}:${hashToken(jti)}`, now, {
      expiresAt: exp + ASSERTION_CLOCK_TOLERANCE,
    });
  } catch (err) {
    if (err instanceof AlreadyConsumed) {
      ws.audit.emit('assertion.replayed', { clientId: client.clientId });
      throw refused('assertion jti replayed');
    }
    if (err instanceof ConditionFailed) throw refused('assertion expired (jti)');
    throw err;
  }
}

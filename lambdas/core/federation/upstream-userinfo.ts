// The upstream UserInfo answer (OIDC Core §5.3): asked for the mapped claims the ID token lacks, checked, merged.
import { UpstreamUnavailable, type UpstreamMetadata, type UpstreamProvider } from '../ports/upstream.js';
import type { IdentitySourceSettings } from './identity-sources.js';
import { UpstreamRefused } from './upstream-id-token.js';

type Claims = Readonly<Record<string, unknown>>;

/** As the claim map reads them: a null claim is no claim. */
const present = (claims: Claims, name: string): boolean =>
  Object.hasOwn(claims, name) && claims[name] !== undefined && claims[name] !== null;

/** The upstream claims the source maps that the ID token does not carry: what UserInfo is asked for. */
export function claimsMissing(source: Pick<IdentitySourceSettings, 'claims'>, idToken: Claims): string[] {
  return [...new Set(Object.values(source.claims))].filter((name) => !present(idToken, name));
}

/** OIDC's `*_verified` claims speak of one address or number: never taken apart from it. */
const VERIFIED_OF: Readonly<Record<string, string>> = {
  email_verified: 'email',
  phone_number_verified: 'phone_number',
};

/**
 * The ID token's claims with the `missing` ones UserInfo has. The ID token is the authenticated statement, so its
 * values win: UserInfo only fills claims it lacks. A `*_verified` claim is taken only with UserInfo's address or
 * number, and only when the ID token names none or the same one, so that it never vouches for another one.
 */
export function mergeUserInfo<T extends Claims>(idToken: T, userInfo: Claims, missing: readonly string[]): T {
  const out: Record<string, unknown> = { ...idToken };
  for (const name of missing) if (!VERIFIED_OF[name] && present(userInfo, name)) out[name] = userInfo[name];
  for (const name of missing) {
    const of = VERIFIED_OF[name];
    if (!of || !present(userInfo, name) || !present(userInfo, of)) continue;
    if (!present(out, of) || sameValue(out[of], userInfo[of])) out[name] = userInfo[name];
  }
  return out as T;
}

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A token response's access token when it is a Bearer token (RFC 6750), the only kind UserInfo is asked with. */
export function bearerAccessToken(tokenResponse: Claims): string | undefined {
  const { access_token: token, token_type: type } = tokenResponse;
  // RFC 6749 §5.1: the token type is case-insensitive.
  if (typeof token !== 'string' || token === '' || typeof type !== 'string' || type.toLowerCase() !== 'bearer')
    return undefined;
  return token;
}

export interface UpstreamClaims<T extends Claims> {
  /** The ID token's claims, completed from UserInfo. */
  readonly claims: T;
  /**
   * The upstream claims asked of UserInfo when it could not answer: the linked user keeps its stored values for
   * them instead of losing them to an outage.
   */
  readonly unrefreshed: readonly string[];
}

/**
 * Completes the verified ID token's claims from UserInfo when the source maps a claim the ID token lacks, the
 * provider names a `userinfo_endpoint` and the token response holds a Bearer access token. An answer for another
 * `sub` (or none) is refused whole (§5.3.2); an unusable answer (unreachable, not 200, not a JSON object, signed or
 * encrypted) leaves the ID token's claims, reported through `failed` (a reason, never a token or a value).
 */
export async function completeFromUserInfo<T extends Claims & { sub: string }>(
  upstream: UpstreamProvider,
  source: Pick<IdentitySourceSettings, 'claims'>,
  metadata: UpstreamMetadata,
  tokenResponse: Claims,
  idToken: T,
  failed: (reason: string) => void,
): Promise<UpstreamClaims<T>> {
  const missing = claimsMissing(source, idToken);
  const accessToken = bearerAccessToken(tokenResponse);
  if (missing.length === 0 || metadata.userinfoEndpoint === undefined || accessToken === undefined)
    return { claims: idToken, unrefreshed: [] };
  let userInfo: Claims;
  try {
    userInfo = await upstream.userInfo(metadata.userinfoEndpoint, accessToken);
  } catch (err) {
    if (!(err instanceof UpstreamUnavailable)) throw err;
    failed(err.message);
    return { claims: idToken, unrefreshed: missing };
  }
  if (userInfo.sub !== idToken.sub) throw new UpstreamRefused('userinfo: sub missing or not the id token sub');
  return { claims: mergeUserInfo(idToken, userInfo, missing), unrefreshed: [] };
}

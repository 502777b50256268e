// The token a client hands to revocation or introspection (RFC 7009 §2.1, RFC 7662 §2.1), and which kind it is.
import { optional, required, type Params } from '../params.js';

export interface PresentedToken {
  readonly value: string;
  /** Told by its shape: access tokens are JWTs (three dot-separated parts); refresh tokens are opaque and dotless. */
  readonly kind: 'access_token' | 'refresh_token';
}

/**
 * `token_type_hint` is read (a duplicate is refused like any other) but never needed: the two kinds cannot be
 * mistaken for each other, so no hint, wrong or unknown, changes where the token is looked up.
 */
export function presentedToken(params: Params): PresentedToken {
  const value = required(params, 'token');
  optional(params, 'token_type_hint');
  return { value, kind: value.split('.').length === 3 ? 'access_token' : 'refresh_token' };
}

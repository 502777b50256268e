// Which user claims each OpenID scope releases (OIDC Core §5.4).

const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

export const supportedScopes = ['openid', 'offline_access', ...Object.keys(scopeClaims)];

export const supportedClaims = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'at_hash',
  ...Object.values(scopeClaims).flat(),
];

/** The subset of a user's claims that the granted scopes release. */
export function releasedClaims(
  claims: Readonly<Record<string, unknown>>,
  scopes: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const name of scopeClaims[scope] ?? []) if (claims[name] !== undefined) out[name] = claims[name];
  }
  return out;
}

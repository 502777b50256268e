// The UserInfo fallback's rules alone: when it is asked, how its answer is checked and merged into the ID token's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLAIM_MAP } from '../../lambdas/core/federation/identity-sources.js';
import { localClaimsOf } from '../../lambdas/core/federation/linking.js';
import { UpstreamRefused } from '../../lambdas/core/federation/upstream-id-token.js';
import {
  bearerAccessToken,
  claimsMissing,
  completeFromUserInfo,
  mergeUserInfo,
} from '../../lambdas/core/federation/upstream-userinfo.js';
import {
  UpstreamUnavailable,
  type UpstreamMetadata,
  type UpstreamProvider,
} from '../../lambdas/core/ports/upstream.js';

const metadata: UpstreamMetadata = {
  issuer: 'https://idp.example.com',
  authorizationEndpoint: 'https://idp.example.com/authorize',
  tokenEndpoint: 'https://idp.example.com/token',
  jwksUri: 'https://idp.example.com/jwks',
  idTokenSigningAlgs: ['RS256'],
  issParameterSupported: false,
  userinfoEndpoint: 'https://idp.example.com/userinfo',
};

/** A provider whose UserInfo answers `answer` (or fails with it), recording what it was asked with. */
function userInfoOf(answer: Record<string, unknown> | Error) {
  const asked: [string, string][] = [];
  const upstream = {
    userInfo: async (endpoint: string, token: string) => {
      asked.push([endpoint, token]);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as UpstreamProvider;
  return { asked, upstream };
}

const source = { claims: { email: 'email', email_verified: 'email_verified', name: 'name', groups: 'roles' } };
const bearer = { token_type: 'Bearer', access_token: 'at' };

describe('claimsMissing', () => {
  it('names the mapped upstream claims the ID token lacks or carries as null, once each', () => {
    expect(claimsMissing(source, { sub: 's', email: 'e', name: null })).toEqual(['email_verified', 'name', 'roles']);
    expect(claimsMissing({ claims: { a: 'x', b: 'x' } }, { sub: 's' })).toEqual(['x']);
    expect(claimsMissing(source, { sub: 's', email: 'e', email_verified: false, name: '', roles: [] })).toEqual([]);
  });

  it('with the default map, names the standard claims an ID token holding only sub lacks', () => {
    expect(claimsMissing({ claims: DEFAULT_CLAIM_MAP }, { sub: 's' })).toHaveLength(11);
  });
});

describe('bearerAccessToken', () => {
  it('is the access token of a Bearer token type, in any case, and nothing else', () => {
    expect(bearerAccessToken(bearer)).toBe('at');
    expect(bearerAccessToken({ token_type: 'bearer', access_token: 'at' })).toBe('at');
    expect(bearerAccessToken({ token_type: 'DPoP', access_token: 'at' })).toBeUndefined();
    expect(bearerAccessToken({ access_token: 'at' })).toBeUndefined();
    expect(bearerAccessToken({ token_type: 'Bearer', access_token: '' })).toBeUndefined();
    expect(bearerAccessToken({ token_type: 'Bearer', access_token: 42 })).toBeUndefined();
  });
});

describe('mergeUserInfo', () => {
  it('fills the missing claims only: the ID token keeps its values, unmapped UserInfo claims stay out', () => {
    const idToken = { sub: 's', name: 'ID' };
    const userInfo = { sub: 's', name: 'UI', email: 'e@x', roles: ['a'], address: { country: 'NL' } };
    expect(mergeUserInfo(idToken, userInfo, claimsMissing(source, idToken))).toEqual({
      sub: 's',
      name: 'ID',
      email: 'e@x',
      roles: ['a'],
    });
  });

  it('takes email_verified only with the address it speaks of', () => {
    const ui = { sub: 's', email: 'ui@x', email_verified: true };
    // The ID token names another address: UserInfo's verification is not about it.
    expect(mergeUserInfo({ sub: 's', email: 'id@x' }, ui, ['email_verified'])).toEqual({ sub: 's', email: 'id@x' });
    // The same address: taken.
    expect(mergeUserInfo({ sub: 's', email: 'ui@x' }, ui, ['email_verified'])).toEqual({ ...ui });
    // No address in the ID token: both from UserInfo.
    expect(mergeUserInfo({ sub: 's' }, ui, ['email', 'email_verified'])).toEqual({ ...ui });
    // No address in UserInfo: a bare verification flag is not taken.
    expect(mergeUserInfo({ sub: 's', email: 'id@x' }, { sub: 's', email_verified: true }, ['email_verified'])).toEqual({
      sub: 's',
      email: 'id@x',
    });
    expect(
      mergeUserInfo({ sub: 's', phone_number: '+1' }, { phone_number: '+2', phone_number_verified: true }, [
        'phone_number_verified',
      ]),
    ).toEqual({ sub: 's', phone_number: '+1' });
  });

  it('never changes or removes an ID token claim, and adds only missing names (property)', () => {
    const claims = fc.dictionary(
      fc.constantFrom('sub', 'name', 'email', 'email_verified', 'picture', 'roles', 'iss'),
      fc.oneof(fc.string(), fc.boolean(), fc.constant(null)),
    );
    fc.assert(
      fc.property(claims, claims, fc.subarray(['name', 'email', 'email_verified', 'picture', 'roles']), (id, ui, m) => {
        const idToken: Record<string, unknown> = { ...id, sub: 's' };
        const missing = m.filter((n) => idToken[n] === undefined || idToken[n] === null);
        const merged = mergeUserInfo(idToken, ui, missing);
        for (const [name, value] of Object.entries(idToken))
          if (value !== null || !missing.includes(name)) expect(merged[name]).toEqual(value);
        for (const name of Object.keys(merged))
          if (!Object.is(merged[name], idToken[name])) expect(missing).toContain(name);
      }),
    );
  });
});

describe('completeFromUserInfo', () => {
  it('asks UserInfo at the discovered endpoint with the access token, and merges a matching answer', async () => {
    const { asked, upstream } = userInfoOf({ sub: 's', email: 'e@x' });
    const failures: string[] = [];
    const out = await completeFromUserInfo(upstream, source, metadata, bearer, { sub: 's', name: 'N' }, (r) =>
      failures.push(r),
    );
    expect(asked).toEqual([['https://idp.example.com/userinfo', 'at']]);
    expect(out).toEqual({ claims: { sub: 's', name: 'N', email: 'e@x' }, unrefreshed: [] });
    expect(failures).toEqual([]);
  });

  it('refuses an answer whose sub is not the ID token sub, or that has none (OIDC Core §5.3.2)', async () => {
    for (const answer of [{ sub: 'other', email: 'e@x' }, { email: 'e@x' }, { sub: 7 }]) {
      const { upstream } = userInfoOf(answer);
      await expect(completeFromUserInfo(upstream, source, metadata, bearer, { sub: 's' }, () => {})).rejects.toThrow(
        new UpstreamRefused('userinfo: sub missing or not the id token sub'),
      );
    }
  });

  it('reports an unusable answer and leaves the ID token claims, naming the claims it could not refresh', async () => {
    const { upstream } = userInfoOf(new UpstreamUnavailable('userinfo: status 503'));
    const failures: string[] = [];
    const out = await completeFromUserInfo(upstream, source, metadata, bearer, { sub: 's', email: 'e' }, (r) =>
      failures.push(r),
    );
    expect(out).toEqual({ claims: { sub: 's', email: 'e' }, unrefreshed: ['email_verified', 'name', 'roles'] });
    expect(failures).toEqual(['userinfo: status 503']);
    expect(localClaimsOf(source, out.unrefreshed)).toEqual(['email_verified', 'name', 'groups']);
  });

  it('does not ask when nothing is missing, no endpoint is named, or the access token is not Bearer', async () => {
    const cases: [UpstreamMetadata, Record<string, unknown>, Record<string, unknown> & { sub: string }][] = [
      [metadata, bearer, { sub: 's', email: 'e', email_verified: true, name: 'n', roles: [] }],
      [{ ...metadata, userinfoEndpoint: undefined }, bearer, { sub: 's' }],
      [metadata, { token_type: 'DPoP', access_token: 'at' }, { sub: 's' }],
    ];
    for (const [meta, tokenResponse, idToken] of cases) {
      const { asked, upstream } = userInfoOf({ sub: 's', email: 'x' });
      const out = await completeFromUserInfo(upstream, source, meta, tokenResponse, idToken, () => {});
      expect(out).toEqual({ claims: idToken, unrefreshed: [] });
      expect(asked).toEqual([]);
    }
  });

  it('lets any other failure through (a fault of ours is not an upstream outage)', async () => {
    const { upstream } = userInfoOf(new TypeError('bug'));
    await expect(completeFromUserInfo(upstream, source, metadata, bearer, { sub: 's' }, () => {})).rejects.toThrow(
      TypeError,
    );
  });
});

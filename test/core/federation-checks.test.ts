// The upstream ID token's checks broken one at a time, and an unreachable source: a clear page, no user, never a 5xx.
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { identitySourceSettings } from '../../lambdas/core/federation/identity-sources.js';
import { Agent, hiddenField } from '../support/agent.js';
import { leaveForSource, providerMetadata } from '../support/federation.js';
import { authorizeUrl, follow, validRequest } from '../support/flow.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

const ISSUER = 'https://idp.example.com';
const CLIENT_ID = 'acme-main';

type Mint = (nonce: string, now: number) => Promise<string>;

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let publicJwk: Record<string, unknown>;

/** A provider of our making: its discovery document, its JWKS, and a token endpoint answering what `mint` makes. */
function fakeProvider(state: { mint?: Mint; nonce?: string; tokenStatus?: number; down?: boolean }): typeof fetch {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  return (async (input: string | URL | Request, init?: RequestInit) => {
    if (state.down) throw new TypeError('fetch failed');
    const url = String(input);
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return json(200, providerMetadata(ISSUER, { id_token_signing_alg_values_supported: ['RS256', 'HS256'] }));
    }
    if (url === `${ISSUER}/jwks`) return json(200, { keys: [publicJwk] });
    if (url === `${ISSUER}/token`) {
      const auth = new Headers(init?.headers).get('authorization');
      expect(auth).toBe(`Basic ${Buffer.from(`${CLIENT_ID}:${encodeURIComponent(TEST_SECRET)}`).toString('base64')}`);
      const form = new URLSearchParams(String(init?.body));
      expect(form.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      if (state.tokenStatus) return json(state.tokenStatus, { error: 'invalid_grant' });
      return json(200, {
        token_type: 'Bearer',
        access_token: 'upstream-access-token',
        id_token: await state.mint!(state.nonce!, Math.floor(Date.now() / 1000)),
      });
    }
    return new Response('', { status: 404 });
  }) as typeof fetch;
}

const sign = (claims: JWTPayload, key: CryptoKey = signingKey) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'a' }).sign(key);

/** A valid token, `change` applied to its claims. */
const valid =
  (change: (claims: JWTPayload) => JWTPayload = (c) => c, key?: CryptoKey): Mint =>
  (nonce, now) =>
    sign(
      change({
        iss: ISSUER,
        aud: CLIENT_ID,
        sub: 'upstream-user-1',
        nonce,
        iat: now,
        exp: now + 300,
        email: 'u@idp.example.com',
      }),
      key,
    );

const provider: { mint?: Mint; nonce?: string; tokenStatus?: number; down?: boolean } = {};
let main: TestWorkspace;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' };
  main = await newTestWorkspace({
    federation: {
      sources: [identitySourceSettings({ id: 'idp', name: 'IdP', type: 'oidc', issuer: ISSUER, clientId: CLIENT_ID })],
      upstream: new UpstreamOidc({ clientSecret: async () => TEST_SECRET, fetch: fakeProvider(provider) }),
    },
  });
});

/** Leaves for the provider and comes back with a code; returns main's answer. */
async function signIn(mint: Mint) {
  const agent = new Agent(main.ws);
  const { res: toSource } = await leaveForSource(agent, 'idp');
  if (toSource.status !== 303) return toSource;
  const sent = toSource.location!.searchParams;
  provider.mint = mint;
  provider.nonce = sent.get('nonce')!;
  return agent.get(
    `federation/callback?${new URLSearchParams({ code: 'upstream-code', state: sent.get('state')!, iss: ISSUER })}`,
  );
}

const linkedUsers = async () => (await main.stores.directory.listUsers()).filter((u) => u.link !== undefined);

describe('the upstream ID token', () => {
  it.each<[string, Mint]>([
    ['another issuer', valid((c) => ({ ...c, iss: 'https://evil.example.com' }))],
    ['another audience', valid((c) => ({ ...c, aud: 'someone-else' }))],
    ['an azp naming another client', valid((c) => ({ ...c, aud: [CLIENT_ID, 'other'], azp: 'other' }))],
    ['several audiences and no azp', valid((c) => ({ ...c, aud: [CLIENT_ID, 'other'] }))],
    ['an exp passed', valid((c) => ({ ...c, exp: c.iat! - 120 }))],
    ['an iat in the future', valid((c) => ({ ...c, iat: c.iat! + 300, exp: c.iat! + 900 }))],
    ['an iat long past', valid((c) => ({ ...c, iat: c.iat! - 3600 }))],
    ['another nonce', valid((c) => ({ ...c, nonce: 'not-the-nonce-we-sent' }))],
    ['no nonce', valid(({ nonce: _, ...c }) => c)],
    ['no sub', valid(({ sub: _, ...c }) => c)],
    [
      'an HMAC keyed with our client secret',
      async (nonce, now) =>
        new SignJWT({ iss: ISSUER, aud: CLIENT_ID, sub: 'u', nonce, iat: now, exp: now + 300 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(TEST_SECRET)),
    ],
    ['not a JWT', async () => 'not-a-jwt'],
  ])('with %s is refused with a clear page, and creates no user', async (_, mint) => {
    const res = await signIn(mint);
    expect(res.status).toBe(400);
    expect(res.body).toContain('The sign-in with IdP could not be verified. Try again.');
    expect(res.body).toContain('name="source"');
    expect(res.location).toBeUndefined();
    expect(await linkedUsers()).toEqual([]);
  });

  it('signed by a key the provider does not publish is refused', async () => {
    const res = await signIn(valid((c) => c, otherKey));
    expect(res.status).toBe(400);
    expect(res.body).toContain('could not be verified');
    expect(await linkedUsers()).toEqual([]);
  });

  it('refused by the token endpoint is a clear page too', async () => {
    provider.tokenStatus = 400;
    try {
      const res = await signIn(valid());
      expect(res.status).toBe(400);
      expect(res.body).toContain('could not be verified');
    } finally {
      provider.tokenStatus = undefined;
    }
    expect(await linkedUsers()).toEqual([]);
  });

  it('holding every check signs the user in, linked to the upstream sub', async () => {
    const res = await signIn(valid());
    expect(res.status).toBe(303);
    expect(res.location!.searchParams.get('code')).toBeTruthy();
    expect(await linkedUsers()).toMatchObject([
      {
        username: 'idp:upstream-user-1',
        link: { sourceId: 'idp', sub: 'upstream-user-1' },
        claims: { email: 'u@idp.example.com' },
      },
    ]);
  });
});

describe('an unreachable source', () => {
  it('shows the login page again saying so, never a 5xx, when leaving and when coming back', async () => {
    const down = await newTestWorkspace({
      federation: {
        sources: [
          identitySourceSettings({ id: 'idp', name: 'IdP', type: 'oidc', issuer: ISSUER, clientId: CLIENT_ID }),
        ],
        upstream: new UpstreamOidc({ clientSecret: async () => TEST_SECRET, fetch: fakeProvider({ down: true }) }),
      },
    });
    const agent = new Agent(down.ws);
    const login = await follow(agent, await agent.get(authorizeUrl(validRequest().params)));
    const res = await agent.post('consent', {
      form: { txn: hiddenField(login.body, 'txn'), csrf: hiddenField(login.body, 'csrf'), source: 'idp' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('IdP cannot be reached right now. Try again in a moment.');

    // Reachable when leaving, gone when the browser comes back: the token endpoint cannot be reached.
    provider.down = false;
    const back = await (async () => {
      const agent2 = new Agent(main.ws);
      const page = await follow(agent2, await agent2.get(authorizeUrl(validRequest().params)));
      const toSource = await agent2.post('consent', {
        form: { txn: hiddenField(page.body, 'txn'), csrf: hiddenField(page.body, 'csrf'), source: 'idp' },
      });
      provider.down = true;
      try {
        const state = toSource.location!.searchParams.get('state')!;
        return await agent2.get(`federation/callback?${new URLSearchParams({ code: 'c', state, iss: ISSUER })}`);
      } finally {
        provider.down = false;
      }
    })();
    expect(back.status).toBe(200);
    expect(back.body).toContain('IdP cannot be reached right now.');
  });
});

// The upstream UserInfo fallback through the consent handler: a provider of our making, then a workspace of ours.
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { identitySourceSettings } from '../../lambdas/core/federation/identity-sources.js';
import { Agent } from '../support/agent.js';
import { federatedPair, federatedSignIn, leaveForSource, newBrowser, providerMetadata } from '../support/federation.js';
import { captureLogs } from '../support/log-capture.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from '../support/workspace.js';

const ISSUER = 'https://idp.example.com';
const CLIENT_ID = 'acme-main';
const ACCESS_TOKEN = 'upstream-access-token-a8f3c2e1d0b94f7a';

const json = (status: number, body: unknown, type = 'application/json; charset=utf-8') =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });

/** What the provider answers, set by each test. */
interface Behaviour {
  /** The ID token's claims besides the protocol's. */
  idClaims: JWTPayload & { sub: string };
  /** The token response's members besides the ID token. @default a Bearer access token */
  token?: Record<string, unknown>;
  /** The UserInfo answer. @default the ID token's sub with `userInfoClaims` */
  userInfo?: () => Response | Promise<Response>;
  userInfoClaims?: Record<string, unknown>;
  /** Whether discovery names a userinfo_endpoint. @default true */
  userinfoEndpoint?: boolean;
}

let signingKey: CryptoKey;
let publicJwk: Record<string, unknown>;
let behaviour: Behaviour;
let nonce: string;
/** The UserInfo requests received: their method and Authorization header. */
const userInfoCalls: { method: string; authorization: string | null; url: string }[] = [];

/** A provider of our making: discovery, JWKS, a token endpoint and a UserInfo endpoint answering `behaviour`. */
const provider = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = String(input);
  const now = Math.floor(Date.now() / 1000);
  if (url === `${ISSUER}/.well-known/openid-configuration`) {
    return json(
      200,
      providerMetadata(ISSUER, behaviour.userinfoEndpoint !== false ? { userinfo_endpoint: `${ISSUER}/userinfo` } : {}),
    );
  }
  if (url === `${ISSUER}/jwks`) return json(200, { keys: [publicJwk] });
  if (url === `${ISSUER}/token`) {
    const idToken = await new SignJWT({ ...behaviour.idClaims, iss: ISSUER, aud: CLIENT_ID, nonce, iat: now })
      .setProtectedHeader({ alg: 'RS256', kid: 'a' })
      .setExpirationTime(now + 300)
      .sign(signingKey);
    return json(200, {
      ...(behaviour.token ?? { token_type: 'Bearer', access_token: ACCESS_TOKEN }),
      id_token: idToken,
    });
  }
  if (url.startsWith(`${ISSUER}/userinfo`)) {
    userInfoCalls.push({
      method: init?.method ?? 'GET',
      authorization: new Headers(init?.headers).get('authorization'),
      url,
    });
    if (behaviour.userInfo) return behaviour.userInfo();
    return json(200, { sub: behaviour.idClaims.sub, ...behaviour.userInfoClaims });
  }
  return new Response('', { status: 404 });
}) as typeof fetch;

let main: TestWorkspace;
const lines = captureLogs('debug');

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'a', alg: 'RS256', use: 'sig' };
  main = await newTestWorkspace({
    federation: {
      sources: [
        identitySourceSettings({
          id: 'idp',
          name: 'IdP',
          type: 'oidc',
          issuer: ISSUER,
          clientId: CLIENT_ID,
          claims: { email: 'email', email_verified: 'email_verified', name: 'name' },
        }),
      ],
      // Discovery read afresh at each sign-in: one test takes the userinfo_endpoint away.
      upstream: new UpstreamOidc({ clientSecret: async () => TEST_SECRET, fetch: provider, metadataCacheSeconds: 0 }),
    },
  });
});

let subs = 0;
/** A fresh upstream account per test: the tests share one workspace. */
const newSub = () => `upstream-user-${++subs}`;

/** Leaves for the provider and comes back with a code, the provider answering `answers`; returns main's answer. */
async function signIn(answers: Behaviour) {
  behaviour = answers;
  userInfoCalls.length = 0;
  const agent = new Agent(main.ws);
  const { res: toSource } = await leaveForSource(agent, 'idp');
  expect(toSource.status).toBe(303);
  const sent = toSource.location!.searchParams;
  nonce = sent.get('nonce')!;
  main.audit.length = 0;
  return agent.get(
    `federation/callback?${new URLSearchParams({ code: 'upstream-code', state: sent.get('state')!, iss: ISSUER })}`,
  );
}

const linked = async (sub: string) => main.ws.linkedUsers.findLinked({ sourceId: 'idp', sub });
const auditTypes = () => main.audit.map((e) => e.type);

describe('claims the ID token lacks', () => {
  it('are taken from UserInfo, asked with the access token as a Bearer header', async () => {
    const sub = newSub();
    const res = await signIn({
      idClaims: { sub, name: 'From the ID token' },
      userInfoClaims: { email: 'u@idp.example.com', email_verified: true, name: 'From UserInfo' },
    });
    expect(res.status).toBe(303);
    expect(res.location!.searchParams.get('code')).toBeTruthy();
    expect(userInfoCalls).toEqual([
      { method: 'GET', authorization: `Bearer ${ACCESS_TOKEN}`, url: `${ISSUER}/userinfo` },
    ]);
    // The ID token's name wins; UserInfo fills what it lacks.
    expect((await linked(sub))!.claims).toEqual({
      name: 'From the ID token',
      email: 'u@idp.example.com',
      email_verified: true,
    });
    expect(auditTypes()).not.toContain('federation.userinfo_failed');
  });

  it('are not asked of UserInfo when the ID token carries every mapped claim', async () => {
    const sub = newSub();
    const res = await signIn({ idClaims: { sub, name: 'N', email: 'e@idp.example.com', email_verified: false } });
    expect(res.status).toBe(303);
    expect(userInfoCalls).toEqual([]);
    expect((await linked(sub))!.claims).toEqual({ name: 'N', email: 'e@idp.example.com', email_verified: false });
  });

  it('are not asked for without a userinfo_endpoint or a Bearer access token: the ID token claims alone', async () => {
    for (const missing of [
      { userinfoEndpoint: false },
      { token: { token_type: 'DPoP', access_token: ACCESS_TOKEN } },
      { token: { token_type: 'Bearer' } },
    ]) {
      const sub = newSub();
      const res = await signIn({ idClaims: { sub, name: 'N' }, userInfoClaims: { email: 'x@y' }, ...missing });
      expect(res.status).toBe(303);
      expect(userInfoCalls).toEqual([]);
      expect((await linked(sub))!.claims).toEqual({ name: 'N' });
    }
  });

  it('never take an email_verified that speaks of another address than the ID token names', async () => {
    const sub = newSub();
    await signIn({
      idClaims: { sub, name: 'N', email: 'id@idp.example.com' },
      userInfoClaims: { email: 'other@idp.example.com', email_verified: true },
    });
    expect((await linked(sub))!.claims).toEqual({ name: 'N', email: 'id@idp.example.com' });
  });
});

describe('a UserInfo answer for another subject', () => {
  it.each([
    ['another sub', { sub: 'someone-else', email: 'x@idp.example.com' }],
    ['no sub', { email: 'x@idp.example.com' }],
  ])('(%s) is refused: the login page again, no user, no code', async (_, answer) => {
    const sub = newSub();
    const res = await signIn({ idClaims: { sub, name: 'N' }, userInfo: () => json(200, answer) });
    expect(res.status).toBe(400);
    expect(res.body).toContain('The sign-in with IdP could not be verified. Try again.');
    expect(res.location).toBeUndefined();
    expect(await linked(sub)).toBeUndefined();
    expect(auditTypes()).toEqual(['login.failed']);
  });
});

describe('a UserInfo endpoint that cannot answer', () => {
  it.each<[string, () => Response | Promise<Response>, string]>([
    ['a 503', () => json(503, { error: 'unavailable' }), 'userinfo: status 503'],
    ['a 401', () => json(401, { error: 'invalid_token' }), 'userinfo: status 401'],
    ['not JSON', () => json(200, '<html>'), 'userinfo: answer is not a JSON object'],
    ['text/html', () => json(200, { sub: 'x' }, 'text/html'), 'userinfo: answer is not application/json'],
    [
      'a signed answer',
      () => json(200, 'eyJ.eyJ.sig', 'application/jwt'),
      'userinfo: signed or encrypted answer not used',
    ],
    [
      'unreachable',
      () => {
        throw new TypeError('fetch failed');
      },
      'userinfo: request failed',
    ],
  ])('(%s) leaves the ID token claims: signed in, recorded, the token never logged', async (_, answer, reason) => {
    const sub = newSub();
    const res = await signIn({ idClaims: { sub, name: 'N' }, userInfo: answer });
    expect(res.status).toBe(303);
    expect(res.location!.searchParams.get('code')).toBeTruthy();
    expect((await linked(sub))!.claims).toEqual({ name: 'N' });
    expect(main.audit.find((e) => e.type === 'federation.userinfo_failed')).toEqual({
      type: 'federation.userinfo_failed',
      fields: { clientId: 'first', source: 'idp', reason },
    });
    expect(auditTypes()).toContain('login.succeeded');
    expect(JSON.stringify(main.audit)).not.toContain(ACCESS_TOKEN);
    expect(lines.some((l) => l.includes(ACCESS_TOKEN))).toBe(false);
  });

  it('keeps the claims an earlier sign-in took from UserInfo, and refreshes the ID token ones', async () => {
    const sub = newSub();
    await signIn({
      idClaims: { sub, name: 'Old' },
      userInfoClaims: { email: 'u@idp.example.com', email_verified: true },
    });
    const res = await signIn({ idClaims: { sub, name: 'New' }, userInfo: () => json(502, {}) });
    expect(res.status).toBe(303);
    expect((await linked(sub))!.claims).toEqual({ name: 'New', email: 'u@idp.example.com', email_verified: true });

    // A UserInfo that answers without the email means the provider has none any more: it goes.
    await signIn({ idClaims: { sub, name: 'New' }, userInfoClaims: {} });
    expect((await linked(sub))!.claims).toEqual({ name: 'New' });
  });
});

describe('a workspace of ours as the upstream', () => {
  it('answers UserInfo for the access token it issued, for the sub of its ID token', async () => {
    // alice has no phone number: the ID token lacks it, so UserInfo is asked, and holds the ID token's sub.
    const seen: string[] = [];
    const pair = await federatedPair({
      source: { claims: { email: 'email', name: 'name', phone: 'phone_number' } },
      backChannel: (fetch) => async (input, init) => {
        seen.push(new URL(String(input)).pathname);
        return fetch(input, init);
      },
    });
    const { res } = await federatedSignIn(newBrowser(pair));
    expect(res.status).toBe(303);
    expect(seen).toContain('/acme/upstream/userinfo');
    expect(pair.main.audit.map((e) => e.type)).not.toContain('federation.userinfo_failed');
    const [user] = (await pair.main.stores.directory.listUsers()).filter((u) => u.link !== undefined);
    expect(user!.claims).toEqual({ name: 'Alice <Liddell>', email: 'alice@example.com' });
  });
});

// End to end: federated sign-in against an independent OpenID provider (node-oidc-provider), over real HTTP.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Provider } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { Browser } from '../support/browser.js';
import { interactionHandler } from '../support/oidc-provider-interactions.js';

const PEER_SECRET = 'peer-client-secret-0123456789abcdef-0123';
const REDIRECT_URI = 'http://localhost:8080/callback';
/** The peer's one account: its own `sub`, and the claims it releases for the email and profile scopes. */
const DANA = { login: 'dana', sub: 'peer-account-dana-7', email: 'dana@peer.example', name: 'Dana Peer' };

/**
 * One node-oidc-provider peer on its own port. `conform` is its `conformIdTokenClaims`: true (its default, and OIDC
 * Core §5.4's for the code flow) keeps the scopes' claims out of the ID token, in UserInfo only; false puts them in it.
 */
interface Peer {
  readonly sourceId: string;
  readonly conform: boolean;
  readonly http: Server;
  readonly issuer: string;
  provider?: InstanceType<typeof Provider>;
  /** The UserInfo requests it received (its `/me`). */
  userInfoRequests: number;
}

const peers: Peer[] = [];
let server: LocalServer;
let issuer: URL;

async function listeningPeer(sourceId: string, conform: boolean): Promise<Peer> {
  const peer = { sourceId, conform, userInfoRequests: 0 } as { -readonly [K in keyof Peer]: Peer[K] };
  /** The peer's login and consent interaction: any password-less login of its one account. */
  const route = interactionHandler(() => peer.provider, {
    fields: '<input name="login">',
    check: async (form) =>
      form.get('login') === DANA.login ? { accountId: DANA.sub } : { refused: 'Unknown account.' },
  });
  peer.http = createServer((req, res) => {
    if (req.url?.startsWith('/me')) peer.userInfoRequests++;
    void route(req, res);
  });
  await new Promise<void>((done) => peer.http.listen(0, '127.0.0.1', done));
  peer.issuer = `http://127.0.0.1:${(peer.http.address() as AddressInfo).port}`;
  return peer;
}

beforeAll(async () => {
  // The peers' ports first (their issuers go into our config), the providers themselves once our callback URL is known.
  peers.push(await listeningPeer('peer', false), await listeningPeer('peer-conform', true));

  server = await startLocalServer({
    port: 0,
    quiet: true,
    dynamoEndpoint: inject('dynamoDbEndpoint'),
    config: {
      workspaces: [
        {
          tenantId: 'fed',
          workspaceId: 'peer',
          clients: [
            {
              clientId: 'app',
              clientName: 'Federated app',
              tokenEndpointAuthMethod: 'none',
              redirectUris: [REDIRECT_URI],
              grantTypes: ['authorization_code'],
              scopes: ['openid', 'profile', 'email'],
            },
          ],
          // No users of its own, but the password form stays: the login page offers the sources as buttons.
          users: [],
          identitySources: peers.map((peer) => ({
            id: peer.sourceId,
            name: peer.conform ? 'Conform OP' : 'Peer OP',
            type: 'oidc' as const,
            issuer: peer.issuer,
            clientId: 'ours',
            clientSecret: PEER_SECRET,
            scopes: ['openid', 'email', 'profile'],
            claims: { email: 'email', name: 'name' },
          })),
        },
      ],
    },
  });
  issuer = new URL(server.issuers[0]!);

  for (const peer of peers) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    peer.provider = new Provider(peer.issuer, {
      clients: [
        {
          client_id: 'ours',
          client_secret: PEER_SECRET,
          redirect_uris: [`${issuer.href}/federation/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'peer', alg: 'RS256', use: 'sig' }] },
      cookies: { keys: ['peer-cookie-key-0123456789abcdef'] },
      scopes: ['openid', 'profile', 'email'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      conformIdTokenClaims: peer.conform,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx: unknown, sub: string) =>
        sub === DANA.sub
          ? { accountId: sub, claims: () => ({ sub, email: DANA.email, email_verified: true, name: DANA.name }) }
          : undefined,
    });
  }
}, 15_000);

afterAll(async () => {
  await server?.stop();
  for (const peer of peers) await new Promise((done) => peer.http.close(done));
});

/** One sign-in in a fresh browser: our login page → the peer's login and consent → our consent → code → tokens. */
async function signInAtPeer(peer: Peer) {
  const browser = new Browser();
  const config = await oidc.discovery(issuer, 'app', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const start = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });

  const login = await browser.follow(await browser.get(start), start);
  expect(login.url.startsWith(`${issuer.href}/consent?`)).toBe(true);
  expect(login.html).toContain('Continue with Peer OP');
  expect(login.html).toContain('Continue with Conform OP');

  const toPeer = await browser.submit(login, { source: peer.sourceId });
  expect(toPeer.status).toBe(303);
  const peerLogin = await browser.follow(toPeer, login.url);
  expect(peerLogin.url.startsWith(`${peer.issuer}/interaction/`)).toBe(true);
  let res = await browser.submit(peerLogin, { login: DANA.login });
  let url = new URL(peerLogin.url);
  let sawPeerConsent = false;
  let sawOurConsent = false;
  // Redirects, the peer's consent (first time only), our callback, our consent (first time only), the client.
  for (;;) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url);
      if (url.href.startsWith(REDIRECT_URI)) break;
      res = await browser.get(url);
      continue;
    }
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    expect(html).toContain('name="decision"');
    if (url.href.startsWith(`${peer.issuer}/interaction/`)) sawPeerConsent = true;
    else if (url.href.startsWith(`${issuer.href}/consent?`)) sawOurConsent = true;
    else throw new Error(`unexpected page at ${url.origin}${url.pathname}`);
    res = await browser.submit({ url: url.href, html }, { decision: 'allow' });
  }
  const callback = url;

  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
  const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: issuer.href, audience: 'app' });
  return { payload, sawPeerConsent, sawOurConsent };
}

describe('federation with an independent OpenID provider', () => {
  it('signs a peer account in under a local sub with its mapped claims, and links it once', async () => {
    const [peer] = peers;
    const { payload: first, ...firstPages } = await signInAtPeer(peer!);
    expect(firstPages).toEqual({ sawPeerConsent: true, sawOurConsent: true });
    expect(first.sub).toEqual(expect.any(String));
    expect(first.sub).not.toBe(DANA.sub);
    expect(first).toMatchObject({ email: DANA.email, name: DANA.name });

    const linked = await server.workspaces[0]!.linkedUsers.findLinked({ sourceId: 'peer', sub: DANA.sub });
    expect(linked!.sub).toBe(first.sub);

    // Another browser, a second sign-in at the peer with the same account: the same local user.
    // Our consent is remembered for the local user (the peer keeps grants per session: it asks again).
    const { payload: second, ...secondPages } = await signInAtPeer(peer!);
    expect(secondPages.sawOurConsent).toBe(false);
    expect(second.sub).toBe(first.sub);
    expect(second).toMatchObject({ email: DANA.email, name: DANA.name });
    // Its ID tokens carry every mapped claim: UserInfo was never asked.
    expect(peer!.userInfoRequests).toBe(0);
  });

  it('takes the claims a conforming provider releases in UserInfo only (its default), asking it once a sign-in', async () => {
    const [, peer] = peers;
    const { payload, sawOurConsent } = await signInAtPeer(peer!);
    expect(sawOurConsent).toBe(true);
    expect(payload).toMatchObject({ email: DANA.email, name: DANA.name });
    expect(peer!.userInfoRequests).toBe(1);
    const linked = await server.workspaces[0]!.linkedUsers.findLinked({ sourceId: 'peer-conform', sub: DANA.sub });
    expect(linked).toMatchObject({ sub: payload.sub, claims: { email: DANA.email, name: DANA.name } });
  });
});

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

let peerHttp: Server;
let provider: InstanceType<typeof Provider> | undefined;
let peerIssuer: string;
let server: LocalServer;
let issuer: URL;

/** The peer's login and consent interaction: any password-less login of its one account. */
const route = interactionHandler(() => provider, {
  fields: '<input name="login">',
  check: async (form) => (form.get('login') === DANA.login ? { accountId: DANA.sub } : { refused: 'Unknown account.' }),
});

beforeAll(async () => {
  // The peer's port first (its issuer goes into our config), the provider itself once our callback URL is known.
  peerHttp = createServer((req, res) => void route(req, res));
  await new Promise<void>((done) => peerHttp.listen(0, '127.0.0.1', done));
  peerIssuer = `http://127.0.0.1:${(peerHttp.address() as AddressInfo).port}`;

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
          // No users of its own, but the password form stays: the login page offers the source as a button.
          users: [],
          identitySources: [
            {
              id: 'peer',
              name: 'Peer OP',
              type: 'oidc',
              issuer: peerIssuer,
              clientId: 'ours',
              clientSecret: PEER_SECRET,
              scopes: ['openid', 'email', 'profile'],
              claims: { email: 'email', name: 'name' },
            },
          ],
        },
      ],
    },
  });
  issuer = new URL(server.issuers[0]!);

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  provider = new Provider(peerIssuer, {
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
    // Our server reads the upstream ID token only (no userinfo call): the peer puts the scopes' claims in it.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) =>
      sub === DANA.sub
        ? { accountId: sub, claims: () => ({ sub, email: DANA.email, email_verified: true, name: DANA.name }) }
        : undefined,
  });
}, 15_000);

afterAll(async () => {
  await server?.stop();
  await new Promise((done) => peerHttp?.close(done));
});

/** One sign-in in a fresh browser: our login page → the peer's login and consent → our consent → code → tokens. */
async function signInAtPeer() {
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

  const toPeer = await browser.submit(login, { source: 'peer' });
  expect(toPeer.status).toBe(303);
  const peerLogin = await browser.follow(toPeer, login.url);
  expect(peerLogin.url.startsWith(`${peerIssuer}/interaction/`)).toBe(true);
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
    if (url.href.startsWith(`${peerIssuer}/interaction/`)) sawPeerConsent = true;
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
    const { payload: first, ...firstPages } = await signInAtPeer();
    expect(firstPages).toEqual({ sawPeerConsent: true, sawOurConsent: true });
    expect(first.sub).toEqual(expect.any(String));
    expect(first.sub).not.toBe(DANA.sub);
    expect(first).toMatchObject({ email: DANA.email, name: DANA.name });

    const linked = await server.workspaces[0]!.linkedUsers.findLinked({ sourceId: 'peer', sub: DANA.sub });
    expect(linked!.sub).toBe(first.sub);

    // Another browser, a second sign-in at the peer with the same account: the same local user.
    // Our consent is remembered for the local user (the peer keeps grants per session: it asks again).
    const { payload: second, ...secondPages } = await signInAtPeer();
    expect(secondPages.sawOurConsent).toBe(false);
    expect(second.sub).toBe(first.sub);
    expect(second).toMatchObject({ email: DANA.email, name: DANA.name });
  });
});

// End to end: an independent relying party (openid-client) against the local server, over real HTTP.
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_BACKEND_SECRET, DEMO_USERS } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { Browser } from '../support/browser.js';
import { untilCallback } from './sign-in.js';

let server: LocalServer;
let issuer: URL;

beforeAll(async () => {
  server = await startLocalServer({ port: 0, quiet: true, dynamoEndpoint: inject('dynamoDbEndpoint') });
  issuer = new URL(server.issuers[0]!);
});
afterAll(() => server?.stop());

const alice = DEMO_USERS[0]!;

async function runFlow(config: oidc.Configuration, browser: Browser, redirectUri: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const { callback, sawLogin, sawConsent } = await untilCallback(browser, url, redirectUri);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, sawLogin, sawConsent, nonce };
}

describe.each([
  ['public client (none + PKCE)', 'demo-spa', () => oidc.None(), (s: LocalServer) => `${s.url}/demo/callback`],
  [
    'confidential client (client_secret_basic)',
    'demo-backend',
    () => oidc.ClientSecretBasic(DEMO_BACKEND_SECRET),
    () => 'http://localhost:8080/callback',
  ],
])('%s', (_name, clientId, auth, redirect) => {
  it('discovery → authorize → login → consent → code → token → ID token → userinfo; then SSO without login or consent', async () => {
    const config = await oidc.discovery(issuer, clientId, undefined, auth(), { execute: [oidc.allowInsecureRequests] });
    expect(config.serverMetadata().issuer).toBe(issuer.href);
    const browser = new Browser();
    const redirectUri = redirect(server);

    const first = await runFlow(config, browser, redirectUri);
    expect(first.sawLogin).toBe(true);
    expect(first.sawConsent).toBe(true);
    const claims = first.tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer.href, aud: clientId, nonce: first.nonce, email: alice.claims.email });

    // the ID token's signature, checked independently against the published JWKS
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const verified = await jwtVerify(first.tokens.id_token!, jwks, { issuer: issuer.href, audience: clientId });
    expect(verified.protectedHeader.alg).toBe('RS256');
    await jwtVerify(first.tokens.access_token, jwks, { issuer: issuer.href, typ: 'at+jwt' });

    const info = await oidc.fetchUserInfo(config, first.tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: alice.claims.email, name: alice.claims.name });

    const second = await runFlow(config, browser, redirectUri);
    expect(second.sawLogin).toBe(false);
    expect(second.sawConsent).toBe(false);
    expect(second.tokens.claims()!.sub).toBe(claims.sub);
  });
});

it('the RFC 8414 metadata is also served at the host root in the path-inserted form', async () => {
  const res = await fetch(`${server.url}/.well-known/oauth-authorization-server${issuer.pathname}`);
  expect(res.status).toBe(200);
  expect((await res.json()).issuer).toBe(issuer.href);
});

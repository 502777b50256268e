// End to end: pushed authorization requests and RP-initiated logout, driven by an independent client (oauth4webapi) over real HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { Browser } from '../support/browser.js';

const CALLBACK = 'http://localhost:8080/callback';
const SIGNED_OUT = 'http://localhost:8080/signed-out';
const SECRET = 'web-app-secret-for-the-end-to-end-test';
const ALICE = { username: 'alice', password: 'alice-e2e-password' };
/** The local server speaks plain http on localhost. */
const insecure = { [oauth.allowInsecureRequests]: true };

let server: LocalServer;
let keyDir: string;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: 'web' };
const clientAuth = oauth.ClientSecretBasic(SECRET);

beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'par-logout-keys-'));
  // Through the config file's validation, as `npm start -- --config FILE` would load it.
  const config = parseConfig({
    workspaces: [
      {
        tenantId: 'acme',
        workspaceId: 'e2e',
        clients: [
          {
            clientId: 'web',
            clientName: 'Web app',
            tokenEndpointAuthMethod: 'client_secret_basic',
            clientSecret: SECRET,
            redirectUris: [CALLBACK],
            postLogoutRedirectUris: [SIGNED_OUT],
            grantTypes: ['authorization_code'],
            scopes: ['openid', 'profile', 'email'],
            requirePar: true,
          },
        ],
        users: [{ ...ALICE, claims: { email: 'alice@example.com' } }],
      },
    ],
  });
  server = await startLocalServer({ port: 0, quiet: true, dynamoEndpoint: inject('dynamoDbEndpoint'), config, keyDir });
  const issuer = new URL(server.issuers[0]!);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});
afterAll(async () => {
  await server?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

/** Like a browser, but stops at the redirect back to the client (nothing listens there) and returns its URL. */
async function untilCallback(browser: Browser, start: URL): Promise<URL> {
  let res = await browser.get(start);
  let url = start;
  for (let hops = 0; hops < 10; hops++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url);
      if (url.href.startsWith(CALLBACK)) return url;
      res = await browser.get(url);
      continue;
    }
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    if (html.includes('name="password"')) res = await browser.submit({ url: url.href, html }, ALICE);
    else if (html.includes('name="decision"'))
      res = await browser.submit({ url: url.href, html }, { decision: 'allow' });
    else throw new Error(`unexpected page: ${html.slice(0, 200)}`);
  }
  throw new Error('too many hops');
}

/** Pushes an authorization request, sends the browser with its request_uri, and returns the callback's parameters. */
async function pushAndAuthorize(browser: Browser, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const pushed = await oauth.processPushedAuthorizationResponse(
    as,
    client,
    await oauth.pushedAuthorizationRequest(
      as,
      client,
      clientAuth,
      {
        response_type: 'code',
        redirect_uri: CALLBACK,
        scope: 'openid email',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...extra,
      },
      insecure,
    ),
  );
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('request_uri', pushed.request_uri);
  const callback = await untilCallback(browser, url);
  return { pushed, callback, verifier, state, nonce };
}

async function signIn(browser: Browser) {
  const { callback, verifier, state, nonce } = await pushAndAuthorize(browser);
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    CALLBACK,
    verifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
}

describe('pushed authorization requests', () => {
  it('are advertised, and a client that must use them signs in: PAR → authorize → login → consent → code → tokens', async () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${server.issuers[0]}/oauth2/par`);
    const browser = new Browser();
    const first = await pushAndAuthorize(browser);
    expect(first.pushed.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(first.pushed.expires_in).toBe(60);
    const params = oauth.validateAuthResponse(as, client, first.callback, first.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      CALLBACK,
      first.verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: first.nonce,
      requireIdToken: true,
    });
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ aud: 'web', email: 'alice@example.com' });
  });

  it('are the only way in for that client: a plain request comes back with invalid_request', async () => {
    const url = new URL(as.authorization_endpoint!);
    const state = oauth.generateRandomState();
    for (const [k, v] of Object.entries({
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
      state,
    }))
      url.searchParams.set(k, v);
    const callback = await untilCallback(new Browser(), url);
    const error = (() => {
      try {
        oauth.validateAuthResponse(as, client, callback, state);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((error as oauth.AuthorizationResponseError).error).toBe('invalid_request');
  });
});

describe('RP-initiated logout', () => {
  it('with the ID token as hint: signs out at once and returns with the state; prompt=none then needs a login', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    expect(browser.cookies.has('authz_session')).toBe(true);

    const endSession = new URL(as.end_session_endpoint!);
    endSession.searchParams.set('id_token_hint', tokens.id_token!);
    endSession.searchParams.set('post_logout_redirect_uri', SIGNED_OUT);
    endSession.searchParams.set('state', 'logout-state');
    const res = await browser.get(endSession);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${SIGNED_OUT}?state=logout-state`);
    expect(browser.cookies.has('authz_session')).toBe(false);

    const { callback, state } = await pushAndAuthorize(browser, { prompt: 'none' });
    expect(() => oauth.validateAuthResponse(as, client, callback, state)).toThrow(oauth.AuthorizationResponseError);
    expect(callback.searchParams.get('error')).toBe('login_required');
  });

  it('without a hint: asks first, and signs out only when the user confirms', async () => {
    const browser = new Browser();
    await signIn(browser);
    const endSession = new URL(as.end_session_endpoint!);
    endSession.searchParams.set('client_id', 'web');
    endSession.searchParams.set('post_logout_redirect_uri', SIGNED_OUT);
    const page = await browser.get(endSession);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Sign out of acme/e2e?');
    expect(browser.cookies.has('authz_session')).toBe(true);

    const confirmed = await browser.submit({ url: endSession.href, html }, { logout: 'confirm' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(SIGNED_OUT);
    expect(browser.cookies.has('authz_session')).toBe(false);
  });
});

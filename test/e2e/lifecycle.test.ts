// End to end: an independent client library (oauth4webapi) refreshes, introspects and revokes against the local server over HTTP.
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS, type LocalConfig } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { Browser } from '../support/browser.js';
import { untilCallback } from './sign-in.js';

const REDIRECT_URI = 'http://localhost:8080/callback';
const API_SECRET = 'orders-api-secret-for-the-e2e-test-only';
const http = { [oauth.allowInsecureRequests]: true } as const;

const config: LocalConfig = {
  workspaces: [
    {
      tenantId: 'e2e',
      workspaceId: 'lifecycle',
      clients: [
        {
          clientId: 'app',
          tokenEndpointAuthMethod: 'none',
          redirectUris: [REDIRECT_URI],
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['openid', 'profile', 'offline_access'],
          audience: ['https://orders.example.com'],
        },
        {
          clientId: 'orders-api',
          tokenEndpointAuthMethod: 'client_secret_basic',
          clientSecret: API_SECRET,
          redirectUris: [],
          grantTypes: ['client_credentials'],
          scopes: [],
          introspection: true,
        },
      ],
      users: [DEMO_USERS[0]!],
    },
  ],
};

let server: LocalServer;
let as: oauth.AuthorizationServer;
const app: oauth.Client = { client_id: 'app' };
const api: oauth.Client = { client_id: 'orders-api' };

beforeAll(async () => {
  server = await startLocalServer({ port: 0, quiet: true, config, dynamoEndpoint: inject('dynamoDbEndpoint') });
  const issuer = new URL(server.issuers[0]!);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, http));
});
afterAll(() => server?.stop());

/** authorize → login → consent → code → tokens, for `app`, by the library's own checks (state, nonce, PKCE, ID token). */
async function signIn(): Promise<oauth.TokenEndpointResponse> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: app.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile offline_access',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }).toString();
  const { callback } = await untilCallback(new Browser(), url, REDIRECT_URI);
  const params = oauth.validateAuthResponse(as, app, callback, state);
  const res = await oauth.authorizationCodeGrantRequest(as, app, oauth.None(), params, REDIRECT_URI, verifier, http);
  return oauth.processAuthorizationCodeResponse(as, app, res, { expectedNonce: nonce, requireIdToken: true });
}

const refresh = async (token: string) =>
  oauth.processRefreshTokenResponse(as, app, await oauth.refreshTokenGrantRequest(as, app, oauth.None(), token, http));

const introspect = async (token: string) =>
  oauth.processIntrospectionResponse(
    as,
    api,
    await oauth.introspectionRequest(as, api, oauth.ClientSecretBasic(API_SECRET), token, http),
  );

const revoke = async (token: string, hint: string) =>
  oauth.processRevocationResponse(
    await oauth.revocationRequest(as, app, oauth.None(), token, {
      ...http,
      additionalParameters: { token_type_hint: hint },
    }),
  );

/** The OAuth error a refused request raises in the library. */
const refusal = (attempt: Promise<unknown>) =>
  attempt.then(
    () => undefined,
    (err: unknown) => (err instanceof oauth.ResponseBodyError ? { status: err.status, error: err.error } : err),
  );

it('discovery advertises revocation and introspection, and the refresh_token grant', () => {
  expect(as.revocation_endpoint).toBe(`${server.issuers[0]}/oauth2/revoke`);
  expect(as.introspection_endpoint).toBe(`${server.issuers[0]}/oauth2/introspect`);
  expect(as.grant_types_supported).toContain('refresh_token');
});

describe('a refresh token, driven by oauth4webapi', () => {
  it('rotates on refresh, with a new ID token the library accepts; the resource server introspects both tokens', async () => {
    const first = await signIn();
    expect(first.refresh_token).toBeDefined();

    const second = await refresh(first.refresh_token!);

    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(oauth.getValidatedIdTokenClaims(second)?.sub).toBe(oauth.getValidatedIdTokenClaims(first)?.sub);
    expect(await introspect(second.access_token)).toMatchObject({
      active: true,
      token_type: 'Bearer',
      client_id: 'app',
      aud: ['https://orders.example.com', server.issuers[0]],
      scope: 'openid profile offline_access',
    });
    expect(await introspect(second.refresh_token!)).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect(await introspect(first.refresh_token!)).toEqual({ active: false });
  });

  it('a rotated token presented again is invalid_grant, and the whole family is dead', async () => {
    const first = await signIn();
    const second = await refresh(first.refresh_token!);

    expect(await refusal(refresh(first.refresh_token!))).toEqual({ status: 400, error: 'invalid_grant' });

    expect(await refusal(refresh(second.refresh_token!))).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await introspect(second.access_token)).toEqual({ active: false });
  });

  it('revoking the refresh token ends the family; revoking an access token ends only it', async () => {
    const first = await signIn();
    await revoke(first.access_token, 'access_token');
    expect(await introspect(first.access_token)).toEqual({ active: false });
    const second = await refresh(first.refresh_token!);
    expect((await introspect(second.access_token)).active).toBe(true);

    await revoke(second.refresh_token!, 'refresh_token');

    expect(await refusal(refresh(second.refresh_token!))).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await introspect(second.access_token)).toEqual({ active: false });
    await revoke('an-unknown-token', 'refresh_token');
  });

  it('the app itself may not introspect: 403 unauthorized_client', async () => {
    const { access_token } = await signIn();
    const res = await oauth.introspectionRequest(as, app, oauth.None(), access_token, http);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'unauthorized_client' });
  });
});

// End to end: an independent client library (oauth4webapi) runs the client_credentials grant against the local server over HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { newClientKey, type ClientKey } from '../support/client-keys.js';

const SECRET = 'a-service-secret-of-more-than-32-characters';
const API = 'https://api.example.com';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let server: LocalServer;
let jwksServer: Server;
let as: oauth.AuthorizationServer;
let inlineKey: ClientKey;
let publishedKey: ClientKey;

beforeAll(async () => {
  [inlineKey, publishedKey] = await Promise.all([newClientKey('ES256'), newClientKey('PS256')]);
  jwksServer = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publishedKey.jwk] })),
  );
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  const machine = { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'] };
  const config = parseConfig({
    workspaces: [
      {
        tenantId: 'acme',
        workspaceId: 'machines',
        clients: [
          {
            ...machine,
            clientId: 'svc-inline',
            tokenEndpointAuthMethod: 'private_key_jwt',
            jwks: { keys: [inlineKey.jwk] },
            audience: [API],
          },
          { ...machine, clientId: 'svc-published', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri },
          { ...machine, clientId: 'svc-secret', tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: SECRET },
        ],
      },
    ],
  });
  server = await startLocalServer({ port: 0, quiet: true, dynamoEndpoint: inject('dynamoDbEndpoint'), config });
  const issuer = new URL(server.issuers[0]!);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});

afterAll(async () => {
  await server?.stop();
  jwksServer?.closeAllConnections();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

async function clientCredentials(clientId: string, auth: oauth.ClientAuth, parameters: Record<string, string> = {}) {
  const client: oauth.Client = { client_id: clientId };
  const res = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, insecure);
  return oauth.processClientCredentialsResponse(as, client, res);
}

async function accessTokenClaims(accessToken: string) {
  const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
  return (await jwtVerify(accessToken, jwks, { issuer: as.issuer, typ: 'at+jwt' })).payload;
}

describe('client_credentials with oauth4webapi', () => {
  it('the metadata advertises the grant, private_key_jwt and the assertion algorithms', () => {
    expect(as.grant_types_supported).toContain('client_credentials');
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'private_key_jwt']),
    );
    expect(as.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256']));
  });

  it('PrivateKeyJwt with an inline key: a token for the client, for the resource asked for', async () => {
    const tokens = await clientCredentials(
      'svc-inline',
      oauth.PrivateKeyJwt({ key: inlineKey.privateKey, kid: inlineKey.kid }),
      { scope: 'orders:read', resource: API },
    );
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'orders:read', expires_in: 3600 });
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
    expect(await accessTokenClaims(tokens.access_token)).toMatchObject({
      sub: 'svc-inline',
      client_id: 'svc-inline',
      aud: API,
      scope: 'orders:read',
    });
  });

  it('PrivateKeyJwt with keys published at a jwksUri, twice (a fresh assertion each time)', async () => {
    const auth = oauth.PrivateKeyJwt({ key: publishedKey.privateKey, kid: publishedKey.kid });
    for (let i = 0; i < 2; i++) {
      const tokens = await clientCredentials('svc-published', auth);
      expect(tokens.scope).toBe('orders:read orders:write');
      expect(await accessTokenClaims(tokens.access_token)).toMatchObject({ sub: 'svc-published', aud: as.issuer });
    }
  });

  it('ClientSecretBasic', async () => {
    const tokens = await clientCredentials('svc-secret', oauth.ClientSecretBasic(SECRET), { scope: 'orders:write' });
    expect(await accessTokenClaims(tokens.access_token)).toMatchObject({ sub: 'svc-secret', scope: 'orders:write' });
  });

  it('a key the client did not register is refused: 401 invalid_client with a challenge', async () => {
    const auth = oauth.PrivateKeyJwt({ key: publishedKey.privateKey, kid: publishedKey.kid });
    const err = await clientCredentials('svc-inline', auth).catch((e: unknown) => e);
    // A 401 with a challenge (RFC 6749 §5.2), which oauth4webapi reports as such.
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = err as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause.map((c) => c.scheme)).toEqual(['basic']);
    expect((await challenge.response.json()).error).toBe('invalid_client');
  });

  it('openid is refused with invalid_scope', async () => {
    const err = await clientCredentials('svc-secret', oauth.ClientSecretBasic(SECRET), { scope: 'openid' }).catch(
      (e: unknown) => e,
    );
    expect((err as oauth.ResponseBodyError).error).toBe('invalid_scope');
  });
});

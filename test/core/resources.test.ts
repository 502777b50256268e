// Discovery, JWKS and UserInfo: what clients read, and the bearer checks that guard the claims.
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { handlerManifest } from '../../lambdas/handlers/manifest.js';
import { Agent } from '../support/agent.js';
import { obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

async function tokensFor(t: TestWorkspace, scope = 'openid profile email') {
  const { params, verifier } = validRequest('spa', undefined, scope);
  const code = (await obtainCode(new Agent(t.ws), params)).searchParams.get('code')!;
  return (await new Agent(t.ws).post('oauth2/token', { form: tokenForm(code, verifier) })).json();
}

describe('metadata', () => {
  it('advertises every endpoint and capability at both well-known locations', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const oidc = (await agent.get('.well-known/openid-configuration')).json();
    const oauth = (await agent.get('.well-known/oauth-authorization-server')).json();
    expect(oauth).toEqual(oidc);
    expect(oidc).toMatchObject({
      issuer: t.ws.issuer,
      authorization_endpoint: `${t.ws.issuer}/oauth2/authorize`,
      token_endpoint: `${t.ws.issuer}/oauth2/token`,
      jwks_uri: `${t.ws.issuer}/.well-known/jwks.json`,
      userinfo_endpoint: `${t.ws.issuer}/userinfo`,
      revocation_endpoint: `${t.ws.issuer}/oauth2/revoke`,
      introspection_endpoint: `${t.ws.issuer}/oauth2/introspect`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      response_types_supported: ['code'],
      id_token_signing_alg_values_supported: ['RS256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    expect(oidc.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    );
    expect(oidc.revocation_endpoint_auth_methods_supported).toEqual(oidc.token_endpoint_auth_methods_supported);
    expect(oidc.introspection_endpoint_auth_methods_supported).toEqual(
      oidc.token_endpoint_auth_methods_supported.filter((m: string) => m !== 'none'),
    );
    expect(oidc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
  });

  it('advertises exactly what is served: every member, every client authentication method and its algorithms', async () => {
    // GIVEN
    const t = await newTestWorkspace();

    // WHEN
    const doc = (await new Agent(t.ws).get('.well-known/openid-configuration')).json();

    // THEN
    expect(Object.keys(doc).sort()).toEqual(
      [
        'issuer',
        'authorization_endpoint',
        'token_endpoint',
        'jwks_uri',
        'userinfo_endpoint',
        'pushed_authorization_request_endpoint',
        'end_session_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
        'scopes_supported',
        'claims_supported',
        'response_types_supported',
        'response_modes_supported',
        'grant_types_supported',
        'subject_types_supported',
        'id_token_signing_alg_values_supported',
        'token_endpoint_auth_methods_supported',
        'token_endpoint_auth_signing_alg_values_supported',
        'revocation_endpoint_auth_methods_supported',
        'revocation_endpoint_auth_signing_alg_values_supported',
        'introspection_endpoint_auth_methods_supported',
        'introspection_endpoint_auth_signing_alg_values_supported',
        'code_challenge_methods_supported',
        'prompt_values_supported',
        'ui_locales_supported',
        'claims_parameter_supported',
        'request_parameter_supported',
        'request_uri_parameter_supported',
        'require_pushed_authorization_requests',
        'authorization_response_iss_parameter_supported',
      ].sort(),
    );
    expect(doc).toMatchObject({
      pushed_authorization_request_endpoint: `${t.ws.issuer}/oauth2/par`,
      end_session_endpoint: `${t.ws.issuer}/oauth2/logout`,
      require_pushed_authorization_requests: false,
      ui_locales_supported: ['en', 'de', 'fr'],
    });
    expect([...doc.token_endpoint_auth_methods_supported].sort()).toEqual(
      ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'].sort(),
    );
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      const algs = doc[`${endpoint}_endpoint_auth_signing_alg_values_supported`];
      expect(algs, endpoint).toEqual(expect.arrayContaining(['RS256', 'PS256', 'ES256', 'EdDSA']));
      expect(
        algs.filter((a: string) => a === 'none' || a.startsWith('HS')),
        endpoint,
      ).toEqual([]);
    }
    // No member that promises nothing (an empty list says the feature exists with no way to use it).
    expect(Object.entries(doc).filter(([, v]) => Array.isArray(v) && v.length === 0)).toEqual([]);
  });

  it('every advertised endpoint is served by a handler in the manifest', async () => {
    const t = await newTestWorkspace();
    const doc = (await new Agent(t.ws).get('.well-known/openid-configuration')).json();
    const served = Object.values(handlerManifest)
      .flat()
      .map((r) => r.split(' ')[1]);
    for (const key of Object.keys(doc).filter((k) => k.endsWith('_endpoint') || k === 'jwks_uri')) {
      expect(served).toContain(doc[key].slice(t.ws.issuer.length));
    }
  });

  it('the JWKS publishes the public key under its thumbprint kid, and no private parts', async () => {
    const t = await newTestWorkspace({ alg: 'ES256' });
    const { keys } = (await new Agent(t.ws).get('.well-known/jwks.json')).json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
      kid: (await t.ws.keys.active.publicJwk()).kid,
    });
    expect(keys[0].d).toBeUndefined();
  });
});

describe('userinfo', () => {
  it('returns the claims the scopes release, by GET header and POST form', async () => {
    const t = await newTestWorkspace();
    const { access_token } = await tokensFor(t, 'openid email');
    const agent = new Agent(t.ws);
    const viaHeader = await agent.get('userinfo', { headers: { Authorization: `Bearer ${access_token}` } });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.headers['cache-control']).toBe('no-store');
    expect(viaHeader.json()).toEqual({ sub: t.aliceSub, email: 'alice@example.com', email_verified: true });
    const viaForm = await agent.post('userinfo', { form: { access_token } });
    expect(viaForm.json()).toEqual(viaHeader.json());
  });

  it.each([
    ['no token', {}, 401, 'invalid_token'],
    ['a garbage token', { Authorization: 'Bearer abc.def.ghi' }, 401, 'invalid_token'],
  ])('refuses %s', async (_n, headers, status, error) => {
    const t = await newTestWorkspace();
    const res = await new Agent(t.ws).get('userinfo', { headers });
    expect(res.status).toBe(status);
    expect(res.json().error).toBe(error);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses an expired token, a token without openid, and a token signed by another key', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    const noOpenid = await tokensFor(t, 'profile');
    const res = await agent.get('userinfo', { headers: { Authorization: `Bearer ${noOpenid.access_token}` } });
    expect(res.status).toBe(403);
    expect(res.json().error).toBe('insufficient_scope');

    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(t.clock.now() / 1000);
    const forged = await new SignJWT({ scope: 'openid', client_id: 'spa' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: (await t.ws.keys.active.publicJwk()).kid })
      .setIssuer(t.ws.issuer)
      .setSubject(t.aliceSub)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    expect((await agent.get('userinfo', { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(401);

    const { access_token } = await tokensFor(t);
    t.clock.advance(3601);
    expect((await agent.get('userinfo', { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(401);
  });

  it('refuses an ID token presented as an access token', async () => {
    const t = await newTestWorkspace();
    const { id_token } = await tokensFor(t);
    const res = await new Agent(t.ws).get('userinfo', { headers: { Authorization: `Bearer ${id_token}` } });
    expect(res.status).toBe(401);
  });
});

describe('browser apps (CORS)', () => {
  it('JSON endpoints allow any origin and token/userinfo answer preflights', async () => {
    const t = await newTestWorkspace();
    const agent = new Agent(t.ws);
    for (const path of ['.well-known/openid-configuration', '.well-known/jwks.json']) {
      expect((await agent.get(path)).headers['access-control-allow-origin']).toBe('*');
    }
    const error = await agent.post('oauth2/token', { form: { grant_type: 'authorization_code', client_id: 'ghost' } });
    expect(error.headers['access-control-allow-origin']).toBe('*');
    for (const path of ['oauth2/token', 'userinfo']) {
      const res = await agent.request('OPTIONS', path);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toContain('authorization');
    }
  });

  it('pages are never opened up to other origins', async () => {
    const t = await newTestWorkspace();
    const page = await new Agent(t.ws).get(`oauth2/authorize?client_id=ghost`);
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
  });
});

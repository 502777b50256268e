// private_key_jwt at the token endpoint: inline and published keys, every rule of the assertion, single use under concurrency.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { exportJWK, exportSPKI, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteJwks } from '../../lambdas/adapters/http/remote-jwks.js';
import type { ClientJwk, ClientRegistration } from '../../lambdas/core/model.js';
import { clientRegistrationProblems } from '../../lambdas/core/registration/registration.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { captureLogs, logRecords } from '../support/log-capture.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import {
  JWT_BEARER,
  newClientKey,
  signAssertion,
  unsecuredAssertion,
  type AssertionOptions,
  type ClientKey,
} from '../support/client-keys.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

let rsa: ClientKey;
let es: ClientKey;
let ed: ClientKey;
/** A key no client registered. */
let stranger: ClientKey;

/** What the loopback JWKS server publishes at /jwks, and how often each path was fetched. */
const published: { keys: ClientJwk[] } = { keys: [] };
const fetches = new Map<string, number>();
let privateJwk: JWK;
let jwksServer: Server;
let jwksBase: string;

beforeAll(async () => {
  [rsa, es, ed, stranger] = await Promise.all([
    newClientKey('RS256'),
    newClientKey('ES256'),
    newClientKey('EdDSA'),
    newClientKey('RS256'),
  ]);
  privateJwk = await exportJWK(rsa.privateKey);
  jwksServer = createServer((req, res) => {
    res.on('error', () => {});
    fetches.set(req.url ?? '', (fetches.get(req.url ?? '') ?? 0) + 1);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (path) {
      case '/jwks':
        return void json(published);
      case '/slow':
        return; // never answers
      case '/huge': {
        // Chunked, with no content-length: only counting the bytes as they arrive can stop it.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[');
        for (let i = 0; i < 8; i++) res.write(' '.repeat(16 * 1024));
        return void res.end(']}');
      }
      case '/garbage':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
      case '/not-a-set':
        return void json({ keys: 'none' });
      case '/private':
        return void json({ keys: [{ ...privateJwk, kid: rsa.kid }] });
      case '/redirect':
        return void res.writeHead(302, { location: '/jwks' }).end();
      default:
        return void res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  jwksServer.closeAllConnections();
  await new Promise((resolve) => jwksServer.close(resolve));
});

const lines = captureLogs('debug');

function machineClient(clientId: string, keys: Partial<ClientRegistration>): ClientRegistration {
  return {
    clientId,
    tokenEndpointAuthMethod: 'private_key_jwt',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['orders:read'],
    audience: ['https://api.example.com'],
    ...keys,
  };
}

/** Registers a client that passes the registration rules, as the construct, config file and admin tooling would. */
async function register(t: TestWorkspace, client: ClientRegistration): Promise<void> {
  expect(clientRegistrationProblems(client)).toEqual([]);
  await t.stores.directory.putClient(client);
}

async function workspace(): Promise<TestWorkspace> {
  const t = await newTestWorkspace();
  await register(t, machineClient('svc', { jwks: { keys: [rsa.jwk, es.jwk, ed.jwk] } }));
  return t;
}

interface Outcome {
  readonly res: AgentResponse;
  /** The internal detail the handler logged for a refused request. */
  readonly detail?: string;
}

async function tokenRequest(ws: Workspace, form: Record<string, string>): Promise<Outcome> {
  const before = lines.length;
  const res = await new Agent(ws).post('oauth2/token', { form: { grant_type: 'client_credentials', ...form } });
  const refused = logRecords(lines.slice(before)).find((r) => r.message === 'request' && Number(r.status) >= 400);
  return { res, detail: refused?.detail as string | undefined };
}

/** The form of a request authenticated by `assertion`; a `clientId` of null leaves client_id out. */
const assertionForm = (assertion: string, clientId: string | null = 'svc'): Record<string, string> => ({
  ...(clientId !== null && { client_id: clientId }),
  client_assertion_type: JWT_BEARER,
  client_assertion: assertion,
});

const opts = (t: TestWorkspace, more: Partial<AssertionOptions> = {}): AssertionOptions => ({
  now: t.clock.now(),
  clientId: 'svc',
  aud: t.ws.issuer,
  ...more,
});

/** 401 invalid_client with the challenge, an internal detail naming `rule`, and the assertion in no log line. */
function expectRefused({ res, detail }: Outcome, rule: RegExp, assertion?: string): void {
  expect(res.status).toBe(401);
  expect(res.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
  expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
  expect(detail).toMatch(rule);
  if (assertion !== undefined) expect(lines.some((l) => l.includes(assertion))).toBe(false);
}

function expectIssued({ res }: Outcome): void {
  expect(res.status, res.body).toBe(200);
  expect(res.json()).toMatchObject({ token_type: 'Bearer', scope: 'orders:read' });
}

describe('a valid assertion', () => {
  it.each([
    ['RS256', () => rsa],
    ['ES256', () => es],
    ['EdDSA', () => ed],
  ])('signed %s with an inline key authenticates the client', async (_alg, key) => {
    const t = await workspace();
    expectIssued(await tokenRequest(t.ws, assertionForm(await signAssertion(key(), opts(t)))));
  });

  it.each([
    ['the issuer', (t: TestWorkspace) => t.ws.issuer],
    ['the token endpoint', (t: TestWorkspace) => `${t.ws.issuer}/oauth2/token`],
    ['a list naming the issuer among others', (t: TestWorkspace) => ['https://other.example', t.ws.issuer]],
  ])('may be made out to %s', async (_name, aud) => {
    const t = await workspace();
    expectIssued(await tokenRequest(t.ws, assertionForm(await signAssertion(rsa, opts(t, { aud: aud(t) })))));
  });

  it('names the client by its sub when client_id is left out (RFC 7521 §4.2)', async () => {
    const t = await workspace();
    expectIssued(await tokenRequest(t.ws, assertionForm(await signAssertion(es, opts(t)), null)));
  });

  it('is verified against each key that fits when it names no kid', async () => {
    const t = await workspace();
    const other = await newClientKey('RS256');
    const withoutKid = ({ kid: _kid, ...jwk }: ClientJwk): ClientJwk => jwk;
    await register(t, machineClient('svc', { jwks: { keys: [withoutKid(other.jwk), withoutKid(rsa.jwk)] } }));
    const assertion = await signAssertion(rsa, opts(t, { header: { kid: undefined } }));
    expectIssued(await tokenRequest(t.ws, assertionForm(assertion)));
  });

  it('marks its jti used in one item that keeps no jti in clear, until exp plus the clock tolerance', async () => {
    const t = await workspace();
    const jti = `jti-${Date.now()}`;
    const assertion = await signAssertion(rsa, opts(t, { claims: { jti } }));
    expectIssued(await tokenRequest(t.ws, assertionForm(assertion)));
    const items = (await t.doc.send(new ScanCommand({ TableName: t.tableName }))).Items ?? [];
    const marks = items.filter((i) => String(i.pk).startsWith('ONCE#jti#'));
    expect(marks).toHaveLength(1);
    expect(JSON.stringify(items)).not.toContain(jti);
    expect(marks[0]!.expiresAt).toBe(Math.floor(t.clock.now() / 1000) + 60 + 15);
    expect(marks[0]!.consumedAt).toBeDefined();
  });
});

describe('an assertion breaking a rule is invalid_client', () => {
  const now = (t: TestWorkspace) => Math.floor(t.clock.now() / 1000);

  it.each<[string, (t: TestWorkspace) => Promise<string>, RegExp]>([
    [
      'made out to another audience',
      (t) => signAssertion(rsa, opts(t, { aud: 'https://evil.example/token' })),
      /assertion aud not accepted/,
    ],
    ['without aud', (t) => signAssertion(rsa, opts(t, { claims: { aud: undefined } })), /assertion lacks aud/],
    [
      'expired',
      (t) => signAssertion(rsa, opts(t, { claims: { iat: now(t) - 120, exp: now(t) - 60 } })),
      /assertion expired/,
    ],
    ['without exp', (t) => signAssertion(rsa, opts(t, { claims: { exp: undefined } })), /assertion lacks exp/],
    [
      'with exp more than 5 minutes ahead',
      (t) => signAssertion(rsa, opts(t, { claims: { exp: now(t) + 3600 } })),
      /exp too far ahead/,
    ],
    [
      'issued in the future',
      (t) => signAssertion(rsa, opts(t, { claims: { iat: now(t) + 120, exp: now(t) + 180 } })),
      /iat in the future/,
    ],
    ['without jti', (t) => signAssertion(rsa, opts(t, { claims: { jti: undefined } })), /assertion lacks jti/],
    ['with an empty jti', (t) => signAssertion(rsa, opts(t, { claims: { jti: '' } })), /jti not a non-empty string/],
    ['unsigned (alg none)', async (t) => unsecuredAssertion(opts(t)), /alg not allowed/],
    [
      'HS256 keyed with the public key as PEM',
      async (t) =>
        new SignJWT({ ...(await decodeClaims(signAssertion(rsa, opts(t)))) })
          .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
          .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
      /alg not allowed/,
    ],
    [
      'HS256 keyed with the public JWK',
      async (t) =>
        new SignJWT({ ...(await decodeClaims(signAssertion(rsa, opts(t)))) })
          .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
          .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk))),
      /alg not allowed/,
    ],
    ['from another issuer', (t) => signAssertion(rsa, opts(t, { claims: { iss: 'other' } })), /iss not accepted/],
    ['about another subject', (t) => signAssertion(rsa, opts(t, { claims: { sub: 'other' } })), /sub not accepted/],
    ['signed by a key the client never registered', (t) => signAssertion(stranger, opts(t)), /no key of the client/],
    [
      "signed by another key under a registered key's kid",
      (t) => signAssertion({ ...stranger, kid: rsa.kid }, opts(t)),
      /signature invalid/,
    ],
    [
      'signed RS256 under the kid of the ES256 key',
      (t) => signAssertion({ ...rsa, kid: es.kid }, opts(t)),
      /no key of the client/,
    ],
    ['that is not a JWT', async () => 'not.a.jwt', /not a signed JWT/],
  ])('%s', async (_name, make, rule) => {
    const t = await workspace();
    const assertion = await make(t);
    expectRefused(await tokenRequest(t.ws, assertionForm(assertion)), rule, assertion);
  });

  it('replayed: the second use of a jti is refused and audited', async () => {
    const t = await workspace();
    const assertion = await signAssertion(rsa, opts(t));
    expectIssued(await tokenRequest(t.ws, assertionForm(assertion)));
    t.clock.advance(10);
    expectRefused(await tokenRequest(t.ws, assertionForm(assertion)), /jti replayed/, assertion);
    expect(t.audit.filter((e) => e.type === 'assertion.replayed')).toEqual([
      { type: 'assertion.replayed', fields: { clientId: 'svc' } },
    ]);
  });

  it('sent with another client_assertion_type, or none', async () => {
    const t = await workspace();
    const assertion = await signAssertion(rsa, opts(t));
    const saml = {
      ...assertionForm(assertion),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
    };
    expectRefused(await tokenRequest(t.ws, saml), /client_assertion_type/, assertion);
    const { client_assertion_type: _, ...untyped } = assertionForm(assertion);
    expectRefused(await tokenRequest(t.ws, untyped), /client_assertion_type/, assertion);
    expectIssued(await tokenRequest(t.ws, assertionForm(assertion)));
  });

  it('a client_assertion_type without an assertion', async () => {
    const t = await workspace();
    expectRefused(await tokenRequest(t.ws, { client_id: 'svc', client_assertion_type: JWT_BEARER }), /missing/);
  });

  it('a client_id other than the sub of the assertion', async () => {
    const t = await workspace();
    await register(t, machineClient('svc-2', { jwks: { keys: [rsa.jwk] } }));
    const assertion = await signAssertion(rsa, opts(t));
    expectRefused(await tokenRequest(t.ws, assertionForm(assertion, 'svc-2')), /iss not accepted/, assertion);
  });

  it('a client registered for a secret presenting an assertion', async () => {
    const t = await workspace();
    const assertion = await signAssertion(rsa, opts(t, { clientId: 'backend' }));
    expectRefused(
      await tokenRequest(t.ws, assertionForm(assertion, 'backend')),
      /method private_key_jwt used, client_secret_basic registered/,
      assertion,
    );
  });

  it('an unknown client named only by the sub', async () => {
    const t = await workspace();
    const assertion = await signAssertion(rsa, opts(t, { clientId: 'nobody' }));
    expectRefused(await tokenRequest(t.ws, assertionForm(assertion, null)), /unknown client/, assertion);
  });

  it('a key stored behind the registration rules that cannot be imported: still invalid_client, never a 5xx', async () => {
    const t = await workspace();
    const broken = { kty: 'RSA', kid: 'broken', alg: 'RS256', n: 'AAAA', e: 'AQAB' };
    await t.stores.directory.putClient(machineClient('svc', { jwks: { keys: [broken] } }));
    const assertion = await signAssertion({ ...rsa, kid: 'broken' }, opts(t));
    expectRefused(await tokenRequest(t.ws, assertionForm(assertion)), /assertion not verifiable/, assertion);
  });

  it('an assertion beside a client secret is invalid_request: one method per request', async () => {
    const t = await workspace();
    const form = { ...assertionForm(await signAssertion(rsa, opts(t))), client_secret: 'x'.repeat(40) };
    const { res } = await tokenRequest(t.ws, form);
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });
});

async function decodeClaims(assertion: Promise<string>): Promise<Record<string, unknown>> {
  return JSON.parse(Buffer.from((await assertion).split('.')[1]!, 'base64url').toString());
}

describe('keys published at a jwksUri', () => {
  it('are fetched once and cached; an unknown kid fetches again, at most once a minute; the cache lasts 5 minutes', async () => {
    const t = await newTestWorkspace();
    const path = `/jwks?cache-${Date.now()}`;
    published.keys = [rsa.jwk];
    await register(t, machineClient('svc', { jwksUri: `${jwksBase}${path}` }));
    const request = async (key: ClientKey) => tokenRequest(t.ws, assertionForm(await signAssertion(key, opts(t))));

    expectIssued(await request(rsa));
    expectIssued(await request(rsa));
    expect(fetches.get(path)).toBe(1);

    // The client rotates in a new key: within a minute of the last fetch, its kid is unknown here.
    published.keys = [rsa.jwk, es.jwk];
    expectRefused(await request(es), /no key of the client/);
    expect(fetches.get(path)).toBe(1);

    t.clock.advance(61);
    expectIssued(await request(es));
    expect(fetches.get(path)).toBe(2);
    expectRefused(await request(stranger), /no key of the client/);
    expect(fetches.get(path)).toBe(2);

    t.clock.advance(300);
    expectIssued(await request(rsa));
    expect(fetches.get(path)).toBe(3);
  });

  it('concurrent requests on a cold cache share one fetch', async () => {
    const t = await newTestWorkspace();
    const path = `/jwks?cold-${Date.now()}`;
    published.keys = [rsa.jwk];
    await register(t, machineClient('svc', { jwksUri: `${jwksBase}${path}` }));
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, async () => tokenRequest(t.ws, assertionForm(await signAssertion(rsa, opts(t))))),
    );
    outcomes.forEach(expectIssued);
    expect(fetches.get(path)).toBe(1);
  });

  it.each([
    ['does not answer in time', '/slow', /client keys unavailable: no response within 200 ms/],
    ['sends more than 64 KiB', '/huge', /client keys unavailable: response larger than 65536 bytes/],
    ['sends something that is not JSON', '/garbage', /client keys unavailable: response is not JSON/],
    ['sends JSON that is not a JWK Set', '/not-a-set', /client keys unavailable: response is not a JWK Set/],
    ['publishes a private key', '/private', /client keys unavailable: the set carries private key material/],
    ['answers 404', '/missing', /client keys unavailable: status 404/],
    ['redirects', '/redirect', /client keys unavailable: request failed/],
  ])('that %s: invalid_client (401), never a 5xx', async (_name, path, rule) => {
    const t = await newTestWorkspace();
    const ws = { ...t.ws, clientKeys: new RemoteJwks({ timeoutMs: 200, clock: t.clock }) };
    await register(t, machineClient('svc', { jwksUri: `${jwksBase}${path}` }));
    const assertion = await signAssertion(rsa, opts(t));
    expectRefused(await tokenRequest(ws, assertionForm(assertion)), rule, assertion);
  });

  it('at a host nothing listens on: invalid_client', async () => {
    const t = await newTestWorkspace();
    await register(t, machineClient('svc', { jwksUri: 'http://127.0.0.1:1/jwks' }));
    expectRefused(
      await tokenRequest(t.ws, assertionForm(await signAssertion(rsa, opts(t)))),
      /client keys unavailable: request failed/,
    );
  });
});

describe('single use under concurrency', () => {
  it('20 requests with one assertion released together against DynamoDB Local: one succeeds, 19 are invalid_client, none 5xx', async () => {
    const t = await workspace();
    const assertion = await signAssertion(rsa, opts(t));
    const agent = new Agent(t.ws);
    const form = { grant_type: 'client_credentials', ...assertionForm(assertion) };
    const results = await Promise.all(Array.from({ length: 20 }, () => agent.post('oauth2/token', { form })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, r.json().error])).toEqual(Array(19).fill([401, 'invalid_client']));
  });
});

describe('metadata', () => {
  it('advertises private_key_jwt and the asymmetric algorithms its assertions may use, never none or HMAC', async () => {
    const t = await newTestWorkspace();
    const meta = (await new Agent(t.ws).get('.well-known/openid-configuration')).json();
    expect(meta.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toEqual([
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
    ]);
  });
});

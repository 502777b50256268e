// Property-based protocol fuzzing of every endpoint, through API Gateway events to the handler modules and through
// the local server over HTTP: wrong types, duplicates, huge values, invalid UTF-8, wrong media types, prototype
// names, missing and extra fields. Every answer is below 500 and a proper OAuth error (or the error page), no
// error_description holds a forbidden character, and a refused request changes nothing in the table.
// `npm run fuzz` runs it longer (FUZZ_RUNS, FUZZ_SEED).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DEMO_BACKEND_SECRET } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { hiddenField } from '../support/agent.js';
import { newTestStore } from '../support/dynamo.js';
import { validRequest } from '../support/flow.js';
import { tableSnapshot } from '../support/table-snapshot.js';
import { newTestWorkspace, TEST_SECRET } from '../support/workspace.js';
import {
  authorizationArb,
  bodyExtrasArb,
  bodyShapeArb,
  checkAnswer,
  contentTypeArb,
  cookieArb,
  encodeBody,
  errorRedirect,
  eventTransport,
  extraHeadersArb,
  type FuzzRequest,
  type FuzzResponse,
  httpTransport,
  paramsArb,
  RUNS,
  SEED,
  type Send,
  TIMEOUT_MS,
  toConsentPage,
  tableChanges,
  valueArb,
} from './support.js';

interface Client {
  readonly clientId: string;
  readonly redirectUri: string;
}
interface Confidential extends Client {
  readonly secret: string;
}

/** Where requests go, and the workspace's registered clients and a live sign-in transaction to aim at. */
interface Target {
  readonly send: Send;
  readonly snapshot: () => Promise<Record<string, unknown>[]>;
  readonly spa: Client;
  /** A confidential client (client_secret_basic) of the code grant. */
  readonly backend: Confidential;
  /** A client_secret_basic client with the client credentials grant that may introspect. */
  readonly machine: Confidential;
  readonly live: { readonly txn: string; readonly csrf: string; readonly browser: string };
}

/** An endpoint's generator: requests for a target, the success answers it may get, and which of them add an item. */
interface Spec {
  readonly name: string;
  readonly request: (t: Target) => fc.Arbitrary<FuzzRequest>;
  readonly success: (res: FuzzResponse) => boolean;
  /** Successful answers that store one new item, and the keys that item may have. */
  readonly creates?: { readonly answer: (res: FuzzResponse) => boolean; readonly keys: RegExp };
  readonly errors?: ReadonlySet<string>;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const verifier = () => randomBytes(32).toString('base64url');
const handle = () => randomBytes(32).toString('base64url');

interface RequestShape {
  readonly methods: readonly string[];
  readonly path: string;
  readonly params: fc.Arbitrary<[string, string][]>;
  readonly authorization?: fc.Arbitrary<string | undefined>;
  readonly cookies: fc.Arbitrary<string | undefined>;
}

/** Requests of one shape: GET with a query, or POST with a body in any media type, headers and cookies fuzzed. */
function requests(shape: RequestShape): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom(...shape.methods),
      pairs: shape.params,
      contentType: contentTypeArb,
      bodyShape: bodyShapeArb,
      extras: bodyExtrasArb,
      headers: extraHeadersArb,
      authorization: shape.authorization ?? fc.constant(undefined),
      cookie: shape.cookies,
    })
    .map(({ method, pairs, contentType, bodyShape, extras, headers, authorization, cookie }) => {
      const all: [string, string][] = [...headers];
      if (authorization !== undefined) all.push(['Authorization', authorization]);
      if (cookie !== undefined) all.push(['Cookie', cookie]);
      if (method !== 'POST') return { method, path: shape.path, query: pairs, headers: all, base64: false };
      if (contentType !== undefined) all.push(['Content-Type', contentType]);
      const body = encodeBody(pairs, bodyShape, extras.bytes, extras.jsonValues);
      // Text bodies travel as text or base64, binary ones as base64 (API Gateway's binary media types).
      const base64 = extras.base64 || bodyShape === 'invalid-utf8' || bodyShape === 'random-bytes';
      return { method, path: shape.path, query: [], headers: all, body, base64 };
    });
}

const AUTHORIZE_NAMES = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'login_hint',
  'id_token_hint',
  'resource',
  'request',
  'request_uri',
  'claims',
  'ui_locales',
];
const AUTHORIZE_VALUES = [
  'code',
  'query',
  'fragment',
  'form_post',
  'none',
  'login',
  'consent',
  'select_account',
  '-1',
  '0',
];
const CLIENT_AUTH_NAMES = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
const TOKEN_NAMES = [
  'grant_type',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
  'scope',
  'resource',
  ...CLIENT_AUTH_NAMES,
];
const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'implicit',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
];

const authorizeParams = (t: Target) => {
  const spa = validRequest(t.spa.clientId, t.spa.redirectUri).params as Record<string, string>;
  const backend = validRequest(t.backend.clientId, t.backend.redirectUri, 'profile').params as Record<string, string>;
  const pushed = { client_id: t.spa.clientId, request_uri: `urn:ietf:params:oauth:request_uri:${handle()}` };
  return paramsArb([spa, backend, pushed], AUTHORIZE_NAMES, AUTHORIZE_VALUES);
};

const clientAuth = (t: Target) => authorizationArb([t.backend, t.machine]);
const anyCookies = (t: Target) => cookieArb({ authz_browser: t.live.browser });
const emptyOk = (res: FuzzResponse) => res.status === 200 && res.body === '';

const TOKEN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'slow_down',
]);
const tokenIssued = (res: FuzzResponse) => res.status === 200 && JSON.parse(res.body).token_type === 'Bearer';

type Bases = (t: Target) => Record<string, string>[];
function tokenSpec(grant: string, bases: Bases): Spec {
  return {
    name: `POST /oauth2/token (${grant})`,
    request: (t) =>
      requests({
        methods: ['POST'],
        path: '/oauth2/token',
        params: paramsArb(bases(t), TOKEN_NAMES, [...GRANT_TYPES, JWT_BEARER, t.spa.redirectUri]),
        authorization: clientAuth(t),
        cookies: anyCookies(t),
      }),
    // Only client credentials can succeed: no fuzzed code or refresh token exists.
    success: (res) => grant === 'client_credentials' && tokenIssued(res),
    errors: TOKEN_ERRORS,
  };
}

const specs: readonly Spec[] = [
  {
    name: 'GET and POST /oauth2/authorize',
    request: (t) =>
      requests({
        methods: ['GET', 'POST'],
        path: '/oauth2/authorize',
        params: authorizeParams(t),
        cookies: anyCookies(t),
      }),
    success: (res) => toConsentPage(res) || errorRedirect(res),
    creates: { answer: toConsentPage, keys: /^TXN#/ },
  },
  {
    name: 'GET /consent',
    request: (t) =>
      requests({
        methods: ['GET'],
        path: '/consent',
        params: paramsArb([{ txn: t.live.txn }], ['txn', 'csrf']),
        cookies: anyCookies(t),
      }),
    success: (res) => res.status === 200 && /^text\/html/.test(res.headers['content-type'] ?? ''),
  },
  {
    name: 'POST /consent (login and decision forms)',
    request: (t) =>
      requests({
        methods: ['POST'],
        path: '/consent',
        params: paramsArb(
          [
            { txn: t.live.txn, csrf: t.live.csrf, username: 'alice', password: 'not-the-password' },
            { txn: t.live.txn, csrf: t.live.csrf, decision: 'allow' },
          ],
          ['txn', 'csrf', 'username', 'password', 'decision'],
          [t.live.txn, t.live.csrf, 'alice', 'ALICE', 'allow'],
        ),
        cookies: anyCookies(t),
      }),
    // The login form again, with its error: a wrong password is no protocol error.
    success: (res) => res.status === 200 && /^text\/html/.test(res.headers['content-type'] ?? ''),
  },
  tokenSpec('authorization_code', (t): ReturnType<Bases> => [
    {
      grant_type: 'authorization_code',
      code: handle(),
      code_verifier: verifier(),
      redirect_uri: t.spa.redirectUri,
      client_id: t.spa.clientId,
    },
    { grant_type: 'authorization_code', code: handle(), redirect_uri: t.backend.redirectUri },
  ]),
  tokenSpec('refresh_token', (t): ReturnType<Bases> => [
    { grant_type: 'refresh_token', refresh_token: handle(), client_id: t.spa.clientId },
    { grant_type: 'refresh_token', refresh_token: handle(), scope: 'openid' },
  ]),
  tokenSpec('client_credentials', (t): ReturnType<Bases> => [
    { grant_type: 'client_credentials' },
    { grant_type: 'client_credentials', client_id: t.machine.clientId, client_secret: t.machine.secret },
    {
      grant_type: 'client_credentials',
      client_id: t.machine.clientId,
      client_assertion_type: JWT_BEARER,
      client_assertion: 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln',
    },
  ]),
  {
    name: 'POST /oauth2/par',
    request: (t) =>
      requests({
        methods: ['POST'],
        path: '/oauth2/par',
        params: paramsArb(
          [
            validRequest(t.spa.clientId, t.spa.redirectUri).params as Record<string, string>,
            validRequest(t.backend.clientId, t.backend.redirectUri, 'profile').params as Record<string, string>,
          ],
          [...AUTHORIZE_NAMES, ...CLIENT_AUTH_NAMES],
          AUTHORIZE_VALUES,
        ),
        authorization: clientAuth(t),
        cookies: anyCookies(t),
      }),
    success: (res) => res.status === 201,
    creates: { answer: (res) => res.status === 201, keys: /^ONCE#par#/ },
  },
  {
    name: 'POST /oauth2/revoke',
    request: (t) =>
      requests({
        methods: ['POST'],
        path: '/oauth2/revoke',
        params: paramsArb(
          [{ token: handle(), token_type_hint: 'refresh_token', client_id: t.spa.clientId }, { token: handle() }],
          ['token', 'token_type_hint', ...CLIENT_AUTH_NAMES],
          ['refresh_token', 'access_token'],
        ),
        authorization: clientAuth(t),
        cookies: anyCookies(t),
      }),
    // RFC 7009 §2.2: an unknown token is answered like a revoked one.
    success: emptyOk,
  },
  {
    name: 'POST /oauth2/introspect',
    request: (t) =>
      requests({
        methods: ['POST'],
        path: '/oauth2/introspect',
        params: paramsArb(
          [{ token: handle() }, { token: handle(), token_type_hint: 'access_token' }],
          ['token', 'token_type_hint', ...CLIENT_AUTH_NAMES],
          ['refresh_token', 'access_token'],
        ),
        authorization: clientAuth(t),
        cookies: anyCookies(t),
      }),
    success: (res) => res.status === 200 && JSON.parse(res.body).active === false,
  },
  {
    name: 'GET and POST /userinfo',
    request: (t) =>
      requests({
        methods: ['GET', 'POST'],
        path: '/userinfo',
        params: paramsArb([{}, { access_token: handle() }], ['access_token', 'scope']),
        authorization: fc.oneof(
          fc.constant(undefined),
          valueArb().map((v) => `Bearer ${v}`),
          valueArb().map((v) => `bearer  ${v}`),
          authorizationArb([t.backend]),
        ),
        cookies: anyCookies(t),
      }),
    success: () => false,
  },
  {
    name: 'GET and POST /oauth2/logout',
    request: (t) =>
      requests({
        methods: ['GET', 'POST'],
        path: '/oauth2/logout',
        params: paramsArb(
          [{}, { client_id: t.spa.clientId, state: 's' }, { id_token_hint: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }],
          ['client_id', 'id_token_hint', 'post_logout_redirect_uri', 'state', 'logout_hint', 'ui_locales'],
        ),
        cookies: anyCookies(t),
      }),
    // The signed-out page, or a redirect to a registered post-logout URI.
    success: (res) =>
      (res.status === 200 && /^text\/html/.test(res.headers['content-type'] ?? '')) ||
      res.status === 302 ||
      res.status === 303,
  },
  ...['/.well-known/jwks.json', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'].map(
    (path): Spec => ({
      name: `GET ${path}`,
      request: (t) =>
        requests({
          methods: ['GET'],
          path,
          params: paramsArb([{}], ['issuer', 'kid', 'format']),
          cookies: anyCookies(t),
        }),
      success: (res) => res.status === 200 && typeof JSON.parse(res.body) === 'object',
    }),
  ),
  ...['/oauth2/token', '/oauth2/revoke', '/userinfo'].map((path): Spec => ({
    name: `OPTIONS ${path}`,
    request: (t) => requests({ methods: ['OPTIONS'], path, params: paramsArb([{}], ['x']), cookies: anyCookies(t) }),
    success: (res) => res.status === 204,
  })),
];

/** Starts a sign-in in the target, for the consent forms to name a live transaction of a known browser. */
async function liveTransaction(send: Send, spa: Client): Promise<Target['live']> {
  const { params } = validRequest(spa.clientId, spa.redirectUri);
  const started = await send({
    method: 'GET',
    path: '/oauth2/authorize',
    query: Object.entries(params as Record<string, string>),
    headers: [],
    base64: false,
  });
  const txn = new URL(started.headers.location!).searchParams.get('txn')!;
  const browser = /^authz_browser=([^;]+)/.exec(started.setCookies.find((c) => c.startsWith('authz_browser='))!)![1]!;
  const page = await send({
    method: 'GET',
    path: '/consent',
    query: [['txn', txn]],
    headers: [['Cookie', `authz_browser=${browser}`]],
    base64: false,
  });
  return { txn, csrf: hiddenField(page.body, 'csrf'), browser };
}

const targets: Record<string, () => Promise<{ target: Target; stop?: () => Promise<void> }>> = {
  'API Gateway events to the handler modules': async () => {
    const t = await newTestWorkspace();
    const send = eventTransport(t.ws);
    const spa = { clientId: 'spa', redirectUri: 'https://spa.example.com/callback' };
    const backend = { clientId: 'backend', redirectUri: 'https://backend.example.com/cb', secret: TEST_SECRET };
    const machine = { clientId: 'orders-api', redirectUri: '', secret: TEST_SECRET };
    const live = await liveTransaction(send, spa);
    return { target: { send, snapshot: () => tableSnapshot(t), spa, backend, machine, live } };
  },
  'the local server over HTTP': async () => {
    const server: LocalServer = await startLocalServer({
      port: 0,
      quiet: true,
      dynamoEndpoint: inject('dynamoDbEndpoint'),
    });
    const { doc } = await newTestStore();
    const tableName = (server.workspaces[0] as unknown as { tableName: string }).tableName;
    const send = httpTransport(server.issuers[0]!);
    const spa = { clientId: 'demo-spa', redirectUri: `${server.url}/demo/callback` };
    const backend = {
      clientId: 'demo-backend',
      redirectUri: 'http://localhost:8080/callback',
      secret: DEMO_BACKEND_SECRET,
    };
    const live = await liveTransaction(send, spa);
    return {
      target: { send, snapshot: () => tableSnapshot({ doc, tableName }), spa, backend, machine: backend, live },
      stop: () => server.stop(),
    };
  },
};

/** A request in a line for a failure report (values shortened). */
function describeRequest(req: FuzzRequest): string {
  const short = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…(${s.length})` : s);
  const query = req.query.map(([k, v]) => `${short(k)}=${short(v)}`).join('&');
  const headers = req.headers.map(([k, v]) => `${short(k)}: ${short(v)}`).join(', ');
  const body = req.body === undefined ? '' : ` body ${short(req.body.toString(req.base64 ? 'base64' : 'utf8'))}`;
  return `${req.method} ${req.path}${query ? `?${query}` : ''} [${headers}]${body}`;
}

describe.each(Object.keys(targets))('fuzzed requests through %s', (via) => {
  let target: Target;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    vi.stubEnv('AUTHZ_LOG', 'off');
    ({ target, stop } = await targets[via]!());
  });
  afterAll(async () => {
    await stop?.();
    vi.unstubAllEnvs();
  });

  it.each(specs.map((s) => [s.name, s] as const))(
    '%s: below 500, a proper OAuth error, and nothing changed by a refusal',
    async (_name, spec) => {
      const before = await target.snapshot();
      let creations = 0;
      await fc.assert(
        fc.asyncProperty(spec.request(target), async (req) => {
          const res = await target.send(req);
          checkAnswer(describeRequest(req), res, spec.success, spec.errors);
          if (spec.creates?.answer(res)) creations++;
        }),
        { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }) },
      );
      const { changed, added } = tableChanges(before, await target.snapshot());
      expect(changed).toEqual([]);
      for (const pk of added) expect(pk).toMatch(spec.creates?.keys ?? /^$/);
      expect(added.length).toBeLessThanOrEqual(creations);
    },
    TIMEOUT_MS,
  );
});

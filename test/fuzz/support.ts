// Protocol fuzzing: request generators for every endpoint, the two ways to send them (API Gateway events to the
// handler modules, raw HTTP to the local server), and the checks every answer must pass.
import { connect } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { handler as authorize } from '../../lambdas/handlers/authorize.js';
import { handler as consent } from '../../lambdas/handlers/consent.js';
import { handler as discovery } from '../../lambdas/handlers/discovery.js';
import { handler as jwks } from '../../lambdas/handlers/jwks.js';
import { handler as token } from '../../lambdas/handlers/token.js';
import { handler as userinfo } from '../../lambdas/handlers/userinfo.js';
import type { ApiHandler } from '../../lambdas/handlers/apigw.js';

/** Whether this is the long run (`npm run fuzz`) rather than the slice `npm test` runs. */
const LONG = process.env.npm_lifecycle_event === 'fuzz';
/** Runs per property: `FUZZ_RUNS`, else 200 in the long run and 12 in `npm test`. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? (LONG ? 200 : 12));
/** `FUZZ_SEED` to replay a failure; else fixed in `npm test` (repeatable) and random in the long run. */
export const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG ? undefined : 20261129;
/** Room for a long run: about 60 ms a request, with margin. */
export const TIMEOUT_MS = Math.max(30_000, RUNS * 400);

export const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

/** One HTTP request, before it is put on a transport: pairs keep duplicates and order. */
export interface FuzzRequest {
  readonly method: string;
  /** Relative to the issuer, e.g. `/oauth2/token`. */
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Buffer;
  /** Whether an API Gateway event carries the body base64-encoded (as it does for binary media types). */
  readonly base64: boolean;
}

export interface FuzzResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with `, ` (Set-Cookie kept apart). */
  readonly headers: Record<string, string>;
  readonly setCookies: readonly string[];
  readonly body: string;
  /** Refused by the HTTP server's own parser (a malformed request), before any handler saw it. */
  readonly byParser?: boolean;
}

export type Send = (req: FuzzRequest) => Promise<FuzzResponse>;

// ---------------------------------------------------------------------------------------------------------------
// Transports

const sourceHandlers: readonly ApiHandler[] = [authorize, consent, discovery, jwks, token, userinfo];

/** Sends requests as API Gateway REST proxy events to the handler modules, serving `ws`, as deployed. */
export function eventTransport(ws: Workspace): Send {
  const handlers = sourceHandlers.map((h) => h.forWorkspaces(async () => ws));
  const prefix = new URL(ws.issuer).pathname;
  return async (req) => {
    const key = `${req.method} ${req.path}`;
    const handler = handlers.find((h) => h.routes.includes(key));
    if (!handler) throw new Error(`no handler serves ${key}`);
    const multiHeaders: Record<string, string[]> = Object.create(null);
    for (const [k, v] of req.headers) (multiHeaders[k] ??= []).push(v);
    const multiQuery: Record<string, string[]> = Object.create(null);
    for (const [k, v] of req.query) (multiQuery[k] ??= []).push(v);
    const last = (m: Record<string, string[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.at(-1)!]));
    const hasQuery = req.query.length > 0;
    // JSON-parsed, as Lambda delivers events: a `__proto__` name is then an own property, not a prototype change.
    const event = JSON.parse(
      JSON.stringify({
        httpMethod: req.method,
        path: `${prefix}${req.path}`,
        resource: `${prefix}${req.path}`,
        headers: last(multiHeaders),
        multiValueHeaders: multiHeaders,
        queryStringParameters: hasQuery ? last(multiQuery) : null,
        multiValueQueryStringParameters: hasQuery ? multiQuery : null,
        body: req.body === undefined ? null : req.body.toString(req.base64 ? 'base64' : 'utf8'),
        isBase64Encoded: req.body !== undefined && req.base64,
        requestContext: { identity: { sourceIp: '203.0.113.9' }, requestId: 'fuzz' },
      }),
    ) as APIGatewayProxyEvent;
    const result = await handler(event);
    const headers: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const setCookies = (result.multiValueHeaders?.['set-cookie'] ?? []).map(String);
    return { status: result.statusCode, headers, setCookies, body: result.body };
  };
}

/** Headers a raw request must not carry twice or made up: they frame the message on the socket. */
const FRAMING = ['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade'];

/** Sends requests over a fresh socket to a local server, bytes as given: no client library tidies them first. */
export function httpTransport(issuer: string): Send {
  const url = new URL(issuer);
  return (req) =>
    new Promise((resolve, reject) => {
      const query = req.query.length ? `?${new URLSearchParams(req.query.map(([k, v]) => [k, v]))}` : '';
      const lines = [`${req.method} ${url.pathname}${req.path}${query} HTTP/1.1`, `Host: ${url.host}`];
      for (const [k, v] of req.headers) {
        if (FRAMING.includes(k.toLowerCase())) continue;
        // A line break would end the header block early: that is a test of node's parser, not of the handlers.
        lines.push(`${k}: ${v.replace(/[\r\n]/g, ' ')}`);
      }
      if (req.body !== undefined) lines.push(`Content-Length: ${req.body.length}`);
      lines.push('Connection: close', '', '');
      const socket = connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('end', () => {
        try {
          resolve(parseHttpResponse(Buffer.concat(chunks)));
        } catch (err) {
          reject(err);
        }
      });
      socket.write(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), req.body ?? Buffer.alloc(0)]));
    });
}

function parseHttpResponse(raw: Buffer): FuzzResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = Object.create(null);
  const setCookies: string[] = [];
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') setCookies.push(value);
    else headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (let at = 0; ;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  // Every answer the gateway writes carries a request id; node's parser answers malformed requests without one.
  const byParser = headers['x-amzn-requestid'] === undefined;
  return { status, headers, setCookies, body: body.toString('utf8'), ...(byParser && { byParser }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** Values that have broken parsers before: encodings, lone surrogates, separators, numbers, prototype names. */
const NASTY = [
  '',
  ' ',
  '%',
  '%zz',
  '%00',
  '\u0000',
  '\r\n',
  '\t',
  '"',
  '\\',
  "'",
  '<script>alert(1)</script>',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
  '€',
  '😀',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '0',
  '-1',
  '1e309',
  'NaN',
  '9007199254740993',
  '=',
  '&',
  ';',
  ',',
  ':',
  '../../',
  'openid',
  'openid openid',
  'S256',
  'plain',
  'none',
  'code',
  'allow',
  'urn:ietf:params:oauth:request_uri:x',
  'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  'eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo',
  ...PROTOTYPE_NAMES,
];

/** Around the parameter limit (4096) and past the body limit (64 KiB): rare, since each costs a large request. */
const huge = fc.oneof(
  fc.integer({ min: 4090, max: 4100 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 60_000, max: 70_000 }).map((n) => 'y'.repeat(n)),
);

/** Any value a parameter, header or cookie could carry. */
export function valueArb(known: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...NASTY, ...(known.length ? known : ['x'])) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.base64String({ maxLength: 90 }) },
    { weight: 1, arbitrary: huge },
  );
}

/** A parameter or cookie name: one the endpoint reads, one of Object.prototype, or anything. */
export function nameArb(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
}

type Mutation =
  | { readonly op: 'set' | 'add'; readonly name: string; readonly value: string }
  | { readonly op: 'delete'; readonly name: string };

/** A parameter list: one of the endpoint's valid bases, changed by a few sets, duplicates and removals. */
export function paramsArb(
  bases: readonly Readonly<Record<string, string>>[],
  names: readonly string[],
  goodValues: readonly string[] = [],
): fc.Arbitrary<[string, string][]> {
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({
      op: fc.constantFrom('set' as const, 'add' as const),
      name: nameArb(names),
      value: valueArb(goodValues),
    }),
    fc.record({ op: fc.constant('delete' as const), name: nameArb(names) }),
  );
  return fc.tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 0, maxLength: 4 })).map(([base, ms]) => {
    let pairs: [string, string][] = Object.entries(base);
    for (const m of ms) {
      if (m.op === 'delete') pairs = pairs.filter(([k]) => k !== m.name);
      else if (m.op === 'add') pairs.push([m.name, m.value]);
      else pairs = [...pairs.filter(([k]) => k !== m.name), [m.name, m.value]];
    }
    return pairs;
  });
}

const FORM = 'application/x-www-form-urlencoded';

/** Mostly the form media type (so the requests get past it), and every way of getting it wrong. */
export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(FORM) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      `${FORM};charset=UTF-8`,
      `${FORM}; charset=iso-8859-1`,
      'Application/X-WWW-Form-Urlencoded',
      `${FORM}XYZ`,
      `${FORM}, application/json`,
      'application/json',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '',
      ';',
      ...PROTOTYPE_NAMES,
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
);

/** How the parameters travel in a body: as a form, as JSON (wrong types included), as bytes that are no UTF-8. */
export type BodyShape = 'form' | 'json' | 'invalid-utf8' | 'random-bytes';

export const bodyShapeArb: fc.Arbitrary<BodyShape> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('form' as const) },
  { weight: 1, arbitrary: fc.constantFrom('json' as const, 'invalid-utf8' as const, 'random-bytes' as const) },
);

/** JSON values of the wrong type for a parameter. */
const jsonValueArb = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** The body for `pairs` in `shape`; `bytes` are used by `random-bytes`. */
export function encodeBody(
  pairs: readonly (readonly [string, string])[],
  shape: BodyShape,
  bytes: Uint8Array,
  jsonValues: unknown[],
): Buffer {
  const form = Buffer.from(new URLSearchParams(pairs.map(([k, v]) => [k, v])).toString(), 'utf8');
  switch (shape) {
    case 'form':
      return form;
    case 'json':
      return Buffer.from(JSON.stringify(Object.fromEntries(pairs.map(([k], i) => [k, jsonValues[i] ?? null]))), 'utf8');
    case 'invalid-utf8':
      // Overlong, truncated and stray continuation bytes, where a value would be.
      return Buffer.concat([
        form,
        Buffer.from('&x='),
        Buffer.from([0xc0, 0xaf, 0xe2, 0x82, 0xff, 0x80, 0xed, 0xa0, 0x80]),
      ]);
    case 'random-bytes':
      return Buffer.from(bytes);
  }
}

export const bodyExtrasArb = fc.record({
  bytes: fc.uint8Array({ maxLength: 200 }),
  jsonValues: fc.array(jsonValueArb, { maxLength: 12 }),
  base64: fc.boolean(),
});

/** Extra request headers, with names a parser might trip over. */
export const extraHeadersArb: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        ...PROTOTYPE_NAMES,
        'x-forwarded-proto',
        'x-forwarded-for',
        'origin',
        'referer',
        'accept',
        'dpop',
      ),
      fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,15}$/),
    ),
    valueArb(),
  ),
  { maxLength: 3 },
);

/** A Cookie header: the workspace's cookie names, prototype names and others, with any value. */
export function cookieArb(goodCookies: Readonly<Record<string, string>>): fc.Arbitrary<string | undefined> {
  const names = ['authz_session', 'authz_browser', ...Object.keys(goodCookies)];
  const pair = fc.oneof(
    fc.constantFrom(...Object.entries(goodCookies).map(([k, v]) => `${k}=${v}`), 'authz_browser=x'),
    fc.tuple(nameArb(names), valueArb()).map(([k, v]) => `${k}=${v}`),
    fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  );
  return fc.option(
    fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => ps.join('; ')),
    { freq: 3, nil: undefined },
  );
}

/** Percent-encoded as RFC 6749 §2.3.1 asks; a lone surrogate (which cannot be) is sent raw instead. */
const formEncoded = (value: string): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
};

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncoded(id)}:${formEncoded(secret)}`).toString('base64')}`;

/** An Authorization header: a client's real credentials, wrong ones, malformed ones, another scheme, or none. */
export function authorizationArb(
  good: readonly { readonly clientId: string; readonly secret: string }[],
): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(...good.map((g) => basic(g.clientId, g.secret)), 'Basic') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom(...good.map((g) => g.clientId), ...PROTOTYPE_NAMES), valueArb()), valueArb())
        .map(([id, secret]) => basic(id, secret)),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('Basic ', 'basic ', 'BASIC  ', 'Bearer ', 'DPoP ', 'Digest ', ''), valueArb())
        .map(([scheme, v]) => `${scheme}${v}`),
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/** RFC 6749 §5.2: `error_description` is `%x20-21 / %x23-5B / %x5D-7E`. */
export const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The registered OAuth and OpenID error codes the server may answer with. */
export const ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'invalid_token',
  'insufficient_scope',
  'slow_down',
  'temporarily_unavailable',
]);

/**
 * What every answer must be: below 500; an error is a registered OAuth error in JSON, the HTML error page, or a
 * redirect carrying one; no `error_description` anywhere (JSON, redirect, challenge) holds a forbidden character.
 * `allowedSuccess` says which non-error answers this request may get; an error must be one of `errors` when given.
 */
export function checkAnswer(
  what: string,
  res: FuzzResponse,
  allowedSuccess: (res: FuzzResponse) => boolean,
  errors?: ReadonlySet<string>,
): void {
  const context = `${what} → ${res.status} ${res.body.slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  // Like API Gateway, the HTTP server refuses what is not HTTP (a NUL in a header, say) with a bare 400, and a
  // request line or headers above its limit with 431.
  if (res.byParser) return expect([400, 431], context).toContain(res.status);
  const type = res.headers['content-type'] ?? '';
  if (res.status >= 400) {
    if (type.startsWith('application/json')) {
      const body = JSON.parse(res.body);
      if (res.status === 413 && body.message === 'Request Too Long') return; // the gateway's own answer, as API Gateway's
      expect(ERROR_CODES.has(body.error), context).toBe(true);
      if (errors) expect([...errors], context).toContain(body.error);
      expect(
        typeof body.error_description === 'string' && DESCRIPTION_CHARS.test(body.error_description),
        context,
      ).toBe(true);
    } else {
      expect(type, context).toMatch(/^text\/html/);
      expect(res.headers.location, context).toBeUndefined();
    }
  } else if (!allowedSuccess(res)) {
    expect.fail(`${context}: not an answer this request may get`);
  }
  const challenge = res.headers['www-authenticate'];
  const challenged = challenge && /error_description="([^"]*)"/.exec(challenge);
  if (challenged) expect(DESCRIPTION_CHARS.test(challenged[1]!), context).toBe(true);
  if (res.headers.location) {
    const location = new URL(res.headers.location);
    const error = location.searchParams.get('error');
    if (error !== null) {
      expect(ERROR_CODES.has(error), context).toBe(true);
      expect(DESCRIPTION_CHARS.test(location.searchParams.get('error_description') ?? ''), context).toBe(true);
      expect(location.searchParams.get('code'), context).toBeNull();
    }
  }
}

/** Whether an answer is a redirect to the hosted pages (a new transaction) rather than an error. */
export const toConsentPage = (res: FuzzResponse): boolean =>
  (res.status === 302 || res.status === 303) && /\/consent\?txn=/.test(res.headers.location ?? '');

/** Whether an answer is a redirect carrying an OAuth error back to the client. */
export const errorRedirect = (res: FuzzResponse): boolean =>
  (res.status === 302 || res.status === 303) && new URL(res.headers.location ?? 'x:/').searchParams.has('error');

type Item = Record<string, unknown>;

/**
 * What changed between two snapshots of a table: items changed or removed, and items added. Failure counters
 * (`THROTTLE#`) are left out: counting failed attempts is the one write a refused request is meant to make.
 */
export function tableChanges(before: readonly Item[], after: readonly Item[]): { changed: string[]; added: string[] } {
  const counted = (i: Item) => String(i.pk).startsWith('THROTTLE#');
  const old = new Map(before.filter((i) => !counted(i)).map((i) => [String(i.pk), JSON.stringify(i)]));
  const now = new Map(after.filter((i) => !counted(i)).map((i) => [String(i.pk), JSON.stringify(i)]));
  const changed = [...old].filter(([pk, json]) => now.get(pk) !== json).map(([pk]) => pk);
  const added = [...now.keys()].filter((pk) => !old.has(pk));
  return { changed, added };
}

// Turns a node:http request into the API Gateway REST proxy event a deployed Lambda receives, and the result back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { emptyMap } from '../core/http.js';

/** API Gateway REST APIs refuse payloads above 10 MB before any Lambda runs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Bodies API Gateway hands over as text; any other media type is treated as a configured binary
 * media type and arrives base64-encoded, the way the Lambda would see it.
 */
const TEXT_MEDIA_TYPE = /^(?:text\/|application\/(?:x-www-form-urlencoded|json|jwt|[\w.-]+\+json)\s*(?:;|$))/i;

/** Headers API Gateway sets itself, whatever the client sent under those names. */
const EDGE_HEADERS = ['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto'];

export interface ProxyEventContext {
  /** Identifies the local server the event came through, as an API id identifies a REST API. */
  readonly apiId: string;
  readonly requestId: string;
  /** The resource path of the route, which for this API is the full request path. */
  readonly resource: string;
}

/** Reads the body; `undefined` once it exceeds `limit` (the rest is not read). */
export function readBody(req: IncomingMessage, limit = MAX_PAYLOAD_BYTES): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** IPv4 clients of a dual-stack socket show up as `::ffff:a.b.c.d`; API Gateway reports the plain address. */
function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** Repeated names keep every value in order; names keep the case of their first appearance. */
function group(pairs: Iterable<readonly [string, string]>, caseInsensitive: boolean): Record<string, string[]> {
  const out = emptyMap<string[]>();
  const names = new Map<string, string>();
  for (const [name, value] of pairs) {
    const id = caseInsensitive ? name.toLowerCase() : name;
    const key = names.get(id) ?? name;
    names.set(id, key);
    (out[key] ??= []).push(value);
  }
  return out;
}

/** The single-value view API Gateway builds next to the multi-value one: the last value of each name. */
function lastValues(multi: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values[values.length - 1]!]));
}

function rawHeaderPairs(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return pairs;
}

export function toProxyEvent(req: IncomingMessage, body: Buffer, ctx: ProxyEventContext): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const sourceIp = clientAddress(req);
  const method = (req.method ?? 'GET').toUpperCase();

  const sent = rawHeaderPairs(req);
  const forwardedFor = sent.filter(([n]) => n.toLowerCase() === 'x-forwarded-for').map(([, v]) => v);
  const multiValueHeaders = group(
    [
      ...sent.filter(([n]) => !EDGE_HEADERS.includes(n.toLowerCase())),
      // Plain http: a local run must not get `Secure` cookies, which the handlers set for https.
      ['X-Forwarded-For', [...forwardedFor, sourceIp].join(', ')],
      ['X-Forwarded-Port', String(req.socket.localPort ?? '')],
      ['X-Forwarded-Proto', 'http'],
    ],
    true,
  );

  const query = group(new URLSearchParams(url.search), false);
  const hasQuery = Object.keys(query).length > 0;

  const contentType = req.headers['content-type'] ?? '';
  const isText = contentType === '' || TEXT_MEDIA_TYPE.test(contentType);
  const hasBody = body.length > 0;

  return {
    resource: ctx.resource,
    path: url.pathname,
    httpMethod: method,
    headers: lastValues(multiValueHeaders),
    multiValueHeaders,
    queryStringParameters: hasQuery ? lastValues(query) : null,
    multiValueQueryStringParameters: hasQuery ? query : null,
    pathParameters: null,
    stageVariables: null,
    body: hasBody ? body.toString(isText ? 'utf8' : 'base64') : null,
    isBase64Encoded: hasBody && !isText,
    requestContext: {
      accountId: '000000000000',
      apiId: ctx.apiId,
      authorizer: null,
      domainName: req.headers.host ?? 'localhost',
      httpMethod: method,
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: ctx.requestId,
      requestTimeEpoch: Date.now(),
      resourceId: ctx.resource,
      resourcePath: ctx.resource,
      stage: 'local',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/** What API Gateway answers when the integration fails or returns something it cannot use. */
export const BAD_GATEWAY: APIGatewayProxyResult = {
  statusCode: 502,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Internal server error' }),
};

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  const r = value as Partial<APIGatewayProxyResult> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isInteger(r.statusCode) &&
    (r.body === undefined || typeof r.body === 'string') &&
    (r.headers === undefined || (typeof r.headers === 'object' && r.headers !== null)) &&
    (r.multiValueHeaders === undefined || (typeof r.multiValueHeaders === 'object' && r.multiValueHeaders !== null))
  );
}

/** Writes a Lambda proxy result; a malformed one becomes API Gateway's 502. */
export function writeProxyResult(res: ServerResponse, result: unknown, requestId: string): void {
  const r = isProxyResult(result) ? result : BAD_GATEWAY;
  // API Gateway merges both header maps; a value present in both is sent once.
  const headers: Record<string, string[]> = {};
  const add = (name: string, value: unknown) => {
    const values = (headers[name.toLowerCase()] ??= []);
    if (!values.includes(String(value))) values.push(String(value));
  };
  for (const [name, value] of Object.entries(r.headers ?? {})) add(name, value);
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) for (const value of values) add(name, value);
  headers['x-amzn-requestid'] = [requestId];
  res.writeHead(r.statusCode, headers);
  res.end(r.body === undefined ? undefined : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8'));
}

// The one converter between API Gateway REST proxy events and the core's request/response.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { CoreRequest, CoreResponse, Endpoint } from '../core/http.js';
import { errorResponse, notFound as notFoundError, payloadTooLarge, toOAuthError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { PATH_INSERTED_METADATA } from './manifest.js';
import { log } from '../adapters/log.js';
import { resolveWorkspace } from './runtime.js';

/** Bodies above this are refused before parsing; no OAuth request comes close. */
export const MAX_BODY_BYTES = 64 * 1024;

export type Routes = Readonly<Record<string, Endpoint<Workspace>>>;

export interface ApiHandler {
  (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }): Promise<APIGatewayProxyResult>;
  /** The `METHOD /path` keys this handler serves (checked against the manifest in tests). */
  readonly routes: readonly string[];
}

/** The path an event addresses, relative to the workspace's issuer, or undefined if it is not the workspace's. */
export function relativePath(resourcePath: string, ws: Pick<Workspace, 'tenantId' | 'workspaceId'>): string | undefined {
  const prefix = `/${ws.tenantId}/${ws.workspaceId}`;
  if (resourcePath === `${PATH_INSERTED_METADATA}${prefix}`) return PATH_INSERTED_METADATA;
  const at = resourcePath.indexOf(`${prefix}/`);
  return at >= 0 ? resourcePath.slice(at + prefix.length) : undefined;
}

function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  const multi = event.multiValueHeaders ?? {};
  for (const [name, values] of Object.entries(multi)) if (values) out[name.toLowerCase()] = values.join(', ');
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !(name.toLowerCase() in out)) out[name.toLowerCase()] = value;
  }
  return out;
}

function queryOf(event: APIGatewayProxyEvent): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (v) out[k] = [...v];
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined && !(k in out)) out[k] = [v];
  return out;
}

export function toCoreRequest(event: APIGatewayProxyEvent, path: string): CoreRequest {
  const headers = lowerCaseHeaders(event);
  let body: string | undefined;
  if (event.body != null) {
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (raw.length > MAX_BODY_BYTES) throw payloadTooLarge('The request body is too large.');
    body = raw.toString('utf8');
  }
  const req: CoreRequest = {
    method: event.httpMethod.toUpperCase(),
    path,
    query: queryOf(event),
    headers,
    sourceIp: event.requestContext?.identity?.sourceIp ?? 'unknown',
    secure: (headers['x-forwarded-proto'] ?? 'https').split(',')[0]?.trim() === 'https',
  };
  return body === undefined ? req : { ...req, body };
}

export function toProxyResult(res: CoreResponse): APIGatewayProxyResult {
  const result: APIGatewayProxyResult = { statusCode: res.status, headers: res.headers, body: res.body };
  if (res.cookies?.length) result.multiValueHeaders = { 'set-cookie': res.cookies };
  return result;
}

const notFound = (): CoreResponse => errorResponse(notFoundError('Not found.'));

/** Builds a Lambda handler serving `routes` of whichever workspace the event is for. */
export function apiHandler(routes: Routes): ApiHandler {
  const handler = async (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }) => {
    const requestId = context?.awsRequestId ?? event.requestContext?.requestId ?? 'local';
    const started = Date.now();
    const method = event.httpMethod.toUpperCase();
    // The resource until the workspace is known, so a failure to resolve it is still logged with its route.
    let key = `${method} ${event.resource ?? event.path}`;
    let res: CoreResponse;
    try {
      // Inside the try: a misconfigured deployment answers a logged server_error, not API Gateway's bare 502.
      const ws = await resolveWorkspace(event);
      const path = ws && relativePath(event.resource ?? event.path, ws);
      key = `${method} ${path}`;
      const endpoint = routes[key];
      res = !ws || path === undefined || !endpoint ? notFound() : await endpoint(toCoreRequest(event, path), ws);
    } catch (err) {
      const e = toOAuthError(err);
      if (e.status >= 500) log.error('request failed', { requestId, route: key, error: e.error, detail: e.detail });
      res = errorResponse(e);
    }
    log.info('request', { requestId, route: key, status: res.status, ms: Date.now() - started });
    return toProxyResult(res);
  };
  return Object.assign(handler, { routes: Object.keys(routes) });
}

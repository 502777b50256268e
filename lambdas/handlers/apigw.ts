// The one converter between API Gateway REST proxy events and the core's request/response.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { emptyMap, type CoreRequest, type CoreResponse, type Endpoint } from '../core/http.js';
import { errorResponse, notFound as notFoundError, payloadTooLarge, toOAuthError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { log } from '../adapters/log.js';
import { type HandlerName, type handlerManifest, PATH_INSERTED_METADATA } from './manifest.js';
import { environmentWorkspace, type WorkspaceResolver } from './workspace-resolver.js';

/** Bodies above this are refused before parsing; no OAuth request comes close. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The `METHOD /path` keys the manifest gives handler `N`. */
export type RouteKey<N extends HandlerName> = (typeof handlerManifest)[N][number];

/**
 * A handler module's endpoints, exactly the manifest's routes for it: a route the manifest lists and the
 * module lacks, or one the module serves and the manifest does not list, fails to compile.
 */
export type HandlerRoutes<N extends HandlerName> = { readonly [K in RouteKey<N>]: Endpoint<Workspace> };

export interface ApiHandler {
  (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }): Promise<APIGatewayProxyResult>;
  /** The `METHOD /path` keys this handler serves. */
  readonly routes: readonly string[];
  /**
   * The same endpoints on another host (the local server, a test): serving the workspaces `resolve` finds,
   * and taking `X-Forwarded-Proto` for whether the request came over https.
   */
  forWorkspaces(resolve: WorkspaceResolver): ApiHandler;
}

/** Where a handler runs: how it finds an event's workspace, and whether `X-Forwarded-Proto` may be believed. */
interface HandlerHost {
  readonly resolve: WorkspaceResolver;
  readonly trustForwardedProto: boolean;
}

/** A deployed Lambda: the workspace of its environment, behind API Gateway's https-only endpoints. */
const LAMBDA_HOST: HandlerHost = { resolve: environmentWorkspace, trustForwardedProto: false };

/** The path an event addresses, relative to the workspace's issuer, or undefined if it is not the workspace's. */
export function relativePath(
  resourcePath: string,
  ws: Pick<Workspace, 'tenantId' | 'workspaceId'>,
): string | undefined {
  const prefix = `/${ws.tenantId}/${ws.workspaceId}`;
  if (resourcePath === `${PATH_INSERTED_METADATA}${prefix}`) return PATH_INSERTED_METADATA;
  const at = resourcePath.indexOf(`${prefix}/`);
  return at >= 0 ? resourcePath.slice(at + prefix.length) : undefined;
}

function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const out = emptyMap<string>();
  const multi = event.multiValueHeaders ?? {};
  for (const [name, values] of Object.entries(multi)) if (values) out[name.toLowerCase()] = values.join(', ');
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !Object.hasOwn(out, name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return out;
}

function queryOf(event: APIGatewayProxyEvent): Record<string, string[]> {
  const out = emptyMap<string[]>();
  for (const [k, v] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (v) out[k] = [...v];
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {}))
    if (v !== undefined && !Object.hasOwn(out, k)) out[k] = [v];
  return out;
}

/**
 * `trustForwardedProto`: whether `X-Forwarded-Proto` says if the request came over https. Only a host that
 * serves plain http sets it (the local gateway); API Gateway is https only, so a deployed handler never
 * lets a header downgrade its cookies' `Secure` flag.
 */
export function toCoreRequest(event: APIGatewayProxyEvent, path: string, trustForwardedProto = false): CoreRequest {
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
    secure: !trustForwardedProto || (headers['x-forwarded-proto'] ?? 'https').split(',')[0]?.trim() === 'https',
  };
  return body === undefined ? req : { ...req, body };
}

export function toProxyResult(res: CoreResponse): APIGatewayProxyResult {
  const result: APIGatewayProxyResult = { statusCode: res.status, headers: res.headers, body: res.body };
  if (res.cookies?.length) result.multiValueHeaders = { 'set-cookie': res.cookies };
  return result;
}

/** The OAuth errors that say the server failed, not the request (RFC 6749 §4.1.2.1). */
const isServerFailure = (error: CoreResponse['error']): boolean =>
  error?.error === 'server_error' || error?.error === 'temporarily_unavailable';

const notFound = (): CoreResponse => errorResponse(notFoundError('Not found.'));

/**
 * Builds handler `name`: `routes` of whichever workspace the host finds for the event. A deployed Lambda
 * uses the default host, the workspace of its environment; other hosts go through `forWorkspaces`.
 */
export function apiHandler<N extends HandlerName>(
  name: N,
  routes: HandlerRoutes<N>,
  host: HandlerHost = LAMBDA_HOST,
): ApiHandler {
  const endpoints: Readonly<Record<string, Endpoint<Workspace>>> = routes;
  const handler = async (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }) => {
    const requestId = context?.awsRequestId ?? event.requestContext?.requestId ?? 'local';
    const started = Date.now();
    const method = event.httpMethod.toUpperCase();
    // The resource until the workspace is known, so a failure to resolve it is still logged with its route.
    let key = `${method} ${event.resource ?? event.path}`;
    let res: CoreResponse;
    try {
      // Inside the try: a misconfigured deployment answers a logged server_error, not API Gateway's bare 502.
      const ws = await host.resolve(event);
      const path = ws && relativePath(event.resource ?? event.path, ws);
      key = `${method} ${path}`;
      const endpoint = Object.hasOwn(endpoints, key) ? endpoints[key] : undefined;
      res =
        !ws || path === undefined || !endpoint
          ? notFound()
          : await endpoint(toCoreRequest(event, path, host.trustForwardedProto), ws);
    } catch (err) {
      res = errorResponse(toOAuthError(err));
    }
    // A failure of the server's own is logged as an error, whether thrown or answered with a page or a redirect.
    if (res.status >= 500 || isServerFailure(res.error))
      log.error('request failed', { requestId, route: key, status: res.status, ...res.error });
    // Why a request was refused is for the operator only: the client saw just the error code and description.
    else if (res.error) log.debug('request refused', { requestId, route: key, status: res.status, ...res.error });
    log.info('request', { requestId, route: key, status: res.status, ms: Date.now() - started });
    return toProxyResult(res);
  };
  return Object.assign(handler, {
    routes: Object.keys(endpoints),
    forWorkspaces: (resolve: WorkspaceResolver) => apiHandler(name, routes, { resolve, trustForwardedProto: true }),
  });
}

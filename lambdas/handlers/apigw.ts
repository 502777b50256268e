// The one converter between API Gateway REST proxy events and the core's request/response.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { emptyMap, type CoreRequest, type CoreResponse, type Endpoint } from '../core/http.js';
import { errorResponse, notFound as notFoundError, payloadTooLarge } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { RequestRecord, withinRequest } from '../adapters/request-context.js';
import { emfRequestLog, type RequestLog } from '../adapters/request-log.js';
import { workspaceDimension } from '../adapters/metrics-contract.js';
import { ENV } from './environment-contract.js';
import { type HandlerName, type handlerManifest, PATH_INSERTED_METADATA } from './manifest.js';
import { environmentResolver, type LambdaAdapters } from './environment.js';
import type { WorkspaceResolver } from './workspace-resolver.js';

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
   * and taking `X-Forwarded-Proto` for whether the request came over https. Each request is logged by
   * `requestLog`, by default as a deployed Lambda logs it.
   */
  forWorkspaces(resolve: WorkspaceResolver, requestLog?: RequestLog): ApiHandler;
}

/**
 * Where a handler runs: how it finds an event's workspace, whether `X-Forwarded-Proto` may be believed, how
 * each request is logged, and what to call the workspace of a request when it could not be found.
 */
interface HandlerHost {
  readonly resolve: WorkspaceResolver;
  readonly trustForwardedProto: boolean;
  readonly requestLog: RequestLog;
  readonly unresolvedWorkspace: () => string;
}

/**
/**
 * A deployed Lambda: the workspace of its environment on the AWS adapters its endpoints use, behind API Gateway's
 * https-only endpoints. The SDK clients are created on the first event, so other hosts never create them. A request
 * that fails before the workspace is built still counts towards its workspace's metrics, named by the environment.
 */
const lambdaHost = (adapters: LambdaAdapters): HandlerHost => ({
  resolve: environmentResolver(adapters),
  trustForwardedProto: false,
  requestLog: emfRequestLog,
  unresolvedWorkspace: () =>
    workspaceDimension(process.env[ENV.tenantId] ?? 'unknown', process.env[ENV.workspaceId] ?? 'unknown'),
});

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

const notFound = (): CoreResponse => errorResponse(notFoundError('Not found.'));

/**
 * Builds handler `name`: `routes` of whichever workspace the host finds for the event. A deployed Lambda serves the
 * workspace of its environment, on `adapters`; other hosts go through `forWorkspaces`.
 */
export function apiHandler<N extends HandlerName>(
  name: N,
  routes: HandlerRoutes<N>,
  adapters: LambdaAdapters,
  host: HandlerHost = lambdaHost(adapters),
): ApiHandler {
  const endpoints: Readonly<Record<string, Endpoint<Workspace>>> = routes;
  /** The response to `event`, noting in `record` the workspace and endpoint as soon as they are known. */
  const respond = async (event: APIGatewayProxyEvent, record: RequestRecord): Promise<CoreResponse> => {
    try {
      // Inside the try: a misconfigured deployment answers a logged server_error, not API Gateway's bare 502.
      const ws = await host.resolve(event);
      if (!ws) return notFound();
      record.workspace = workspaceDimension(ws.tenantId, ws.workspaceId);
      const path = relativePath(event.resource ?? event.path, ws);
      const key = `${event.httpMethod.toUpperCase()} ${path}`;
      const endpoint = Object.hasOwn(endpoints, key) ? endpoints[key] : undefined;
      if (path === undefined || !endpoint) return notFound();
      record.endpoint = key;
      // The workspace's audit sink, also counting into this request's metrics the events that are metrics.
      return await endpoint(toCoreRequest(event, path, host.trustForwardedProto), {
        ...ws,
        audit: record.auditing(ws.audit),
      });
    } catch (err) {
      return errorResponse(err);
    }
  };
  const handler = async (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }) => {
    const record = new RequestRecord(context?.awsRequestId ?? event.requestContext?.requestId ?? 'local');
    record.workspace = host.unresolvedWorkspace();
    record.route = `${event.httpMethod.toUpperCase()} ${event.resource ?? event.path}`;
    const res = await withinRequest(record, () => respond(event, record));
    // One line per request, built here once: why it was refused is for the operator only, the client saw just the
    // error code and description.
    host.requestLog(record, res);
    return toProxyResult(res);
  };
  return Object.assign(handler, {
    routes: Object.keys(endpoints),
    forWorkspaces: (resolve: WorkspaceResolver, requestLog: RequestLog = emfRequestLog) =>
      apiHandler(name, routes, adapters, {
        resolve,
        trustForwardedProto: true,
        requestLog,
        unresolvedWorkspace: () => 'unknown',
      }),
  });
}

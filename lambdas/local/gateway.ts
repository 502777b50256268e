// The local stand-in for API Gateway: routes each request to the manifest's handler module, as the deployed API does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId } from '../core/crypto.js';
import { errorResponse, methodNotAllowed, notFound } from '../core/errors.js';
import type { CoreRequest, CoreResponse } from '../core/http.js';
import type { Workspace } from '../core/workspace.js';
import { type ApiHandler, toCoreRequest, toProxyResult } from '../handlers/apigw.js';
import { log } from '../adapters/log.js';
import { emfRequestLog, type RequestLog } from '../adapters/request-log.js';
import { handlerManifest, type HandlerName, PATH_INSERTED_METADATA } from '../handlers/manifest.js';
import type { WorkspaceResolver } from '../handlers/workspace-resolver.js';
import { BAD_GATEWAY, readBody, toProxyEvent, writeProxyResult } from './proxy-event.js';

/** A page or action of the local server itself (home page, demo relying party), keyed `METHOD /path`. */
export type LocalRoute = (req: CoreRequest) => Promise<CoreResponse>;

type Target = { readonly handler: HandlerName; readonly workspace: Workspace } | { readonly local: LocalRoute };

interface HandlerModule {
  readonly handler: ApiHandler;
}

/** Full request path → method → what serves it. */
type RouteTable = Map<string, Map<string, Target>>;

function addRoute(table: RouteTable, key: string, path: string, target: Target): void {
  const method = key.slice(0, key.indexOf(' '));
  const methods = table.get(path) ?? new Map<string, Target>();
  table.set(path, methods);
  if (methods.has(method)) throw new Error(`Two routes for ${method} ${path}.`);
  methods.set(method, target);
}

/** Every manifest route of every workspace under its issuer path, plus RFC 8414's path-inserted metadata at the host root. */
function routeTable(workspaces: readonly Workspace[], local: Readonly<Record<string, LocalRoute>>): RouteTable {
  const table: RouteTable = new Map();
  for (const workspace of workspaces) {
    const prefix = `/${workspace.tenantId}/${workspace.workspaceId}`;
    for (const [handler, keys] of Object.entries(handlerManifest) as Array<[HandlerName, readonly string[]]>) {
      for (const key of keys) {
        const path = key.slice(key.indexOf(' ') + 1);
        addRoute(table, key, `${prefix}${path}`, { handler, workspace });
        if (path === PATH_INSERTED_METADATA)
          addRoute(table, key, `${PATH_INSERTED_METADATA}${prefix}`, { handler, workspace });
      }
    }
  }
  for (const [key, route] of Object.entries(local))
    addRoute(table, key, key.slice(key.indexOf(' ') + 1), { local: route });
  return table;
}

/**
 * The handler modules are imported by manifest name, so the manifest stays the one list of them;
 * a failed import is not cached, so fixing the module and retrying works.
 */
const modules = new Map<HandlerName, Promise<HandlerModule>>();

function loadHandler(name: HandlerName): Promise<HandlerModule> {
  let mod = modules.get(name);
  if (!mod) {
    // Resolved at run time: Vite (under vitest) would otherwise expand it to a glob of `.js` files, missing the `.ts` sources.
    mod = import(/* @vite-ignore */ `../handlers/${name}.js`) as Promise<HandlerModule>;
    modules.set(name, mod);
    mod.catch(() => modules.delete(name));
  }
  return mod;
}

/**
 * Each running local server is one "API" with its own route table: its handlers find an event's workspace
 * there, by API id and resource, so two servers in one process never see each other's workspaces.
 */
function workspaceResolver(apiId: string, table: RouteTable, isOpen: () => boolean): WorkspaceResolver {
  return async (event) => {
    if (!isOpen() || event.requestContext?.apiId !== apiId) return undefined;
    const target = table.get(event.resource)?.get(event.httpMethod);
    return target && 'workspace' in target ? target.workspace : undefined;
  };
}

function respond(res: ServerResponse, response: CoreResponse, requestId: string): void {
  writeProxyResult(res, toProxyResult(response), requestId);
}

export interface Gateway {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Stops resolving this API's workspaces. */
  close(): void;
}

/**
 * A request listener serving `workspaces` (through the handler modules, each request logged by `requestLog`)
 * and the local routes.
 */
export function createGateway(
  apiId: string,
  workspaces: readonly Workspace[],
  local: Readonly<Record<string, LocalRoute>>,
  requestLog: RequestLog = emfRequestLog,
): Gateway {
  const table = routeTable(workspaces, local);
  let open = true;
  const resolve = workspaceResolver(apiId, table, () => open);
  const handlers = new Map<HandlerName, ApiHandler>();
  const handlerFor = async (name: HandlerName): Promise<ApiHandler> => {
    let handler = handlers.get(name);
    if (!handler) handlers.set(name, (handler = (await loadHandler(name)).handler.forWorkspaces(resolve, requestLog)));
    return handler;
  };

  const gateway = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newId();
    try {
      const path = URL.canParse(req.url ?? '/', 'http://localhost')
        ? new URL(req.url ?? '/', 'http://localhost').pathname
        : undefined;
      // A request target that is no URL path (`//[`) addresses nothing here.
      const methods = path === undefined ? undefined : table.get(path);
      const target = methods?.get((req.method ?? '').toUpperCase());
      if (path === undefined || !methods) return respond(res, errorResponse(notFound('Not found.')), requestId);
      if (!target) {
        const allow = [...methods.keys()].join(', ');
        const notAllowed = errorResponse(methodNotAllowed('Method not allowed.', allow));
        return respond(res, notAllowed, requestId);
      }
      const body = await readBody(req);
      if (body === undefined) {
        // The unread rest of the body makes the connection unusable, so it is closed after the answer.
        res.setHeader('connection', 'close');
        const tooLong = {
          statusCode: 413,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'Request Too Long' }),
        };
        return writeProxyResult(res, tooLong, requestId);
      }
      const event = toProxyEvent(req, body, { apiId, requestId, resource: path });
      const result =
        'local' in target
          ? toProxyResult(await target.local(toCoreRequest(event, path, true)))
          : await (
              await handlerFor(target.handler)
            )(event);
      writeProxyResult(res, result, requestId);
    } catch (err) {
      log.error('local gateway: integration failed', {
        requestId,
        url: req.url?.split('?')[0],
        error: err instanceof Error ? err.message : String(err),
      });
      if (!res.headersSent) writeProxyResult(res, BAD_GATEWAY, requestId);
      else res.destroy();
    }
  };
  return Object.assign(gateway, { close: () => void (open = false) });
}

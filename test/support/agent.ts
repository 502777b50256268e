// A browser-like caller for tests: sends API Gateway events to the real handler modules and keeps cookies.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handler as authorize } from '../../lambdas/handlers/authorize.js';
import { handler as consent } from '../../lambdas/handlers/consent.js';
import { handler as discovery } from '../../lambdas/handlers/discovery.js';
import { handler as jwks } from '../../lambdas/handlers/jwks.js';
import { handler as token } from '../../lambdas/handlers/token.js';
import { handler as userinfo } from '../../lambdas/handlers/userinfo.js';
import { errorResponse } from '../../lambdas/core/errors.js';
import type { Endpoint, ResponseError } from '../../lambdas/core/http.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { type ApiHandler, toCoreRequest, toProxyResult } from '../../lambdas/handlers/apigw.js';

/** The handler modules as the source tree has them. */
const sourceHandlers: readonly ApiHandler[] = [authorize, consent, discovery, jwks, token, userinfo];

/** A Lambda handler with the routes it serves, as `apiHandler` builds it. */
export interface RoutedHandler {
  (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  readonly routes: readonly string[];
}

export interface AgentResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly setCookies: string[];
  readonly body: string;
  readonly location?: URL;
  json(): any;
}

export interface RequestOptions {
  readonly form?: Record<string, string | string[]>;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly sourceIp?: string;
}

export class Agent {
  readonly cookies = new Map<string, string>();

  private readonly issuer: string;
  private readonly handlers: readonly RoutedHandler[];
  private readonly workspace?: Workspace;

  /**
   * With a workspace, drives the source handler modules and makes them serve it; with an issuer and
   * handlers (e.g. bundles that resolve their workspace from the environment), drives those.
   */
  constructor(target: Workspace | { readonly issuer: string; readonly handlers: readonly RoutedHandler[] }) {
    this.issuer = target.issuer;
    if ('handlers' in target) {
      this.handlers = target.handlers;
    } else {
      this.workspace = target;
      this.handlers = sourceHandlers.map((h) => h.forWorkspaces(async () => target));
    }
  }

  async request(method: string, url: string, opts: RequestOptions = {}): Promise<AgentResponse> {
    const { event, path } = this.eventOf(method, url, opts);
    const key = `${method} ${path}`;
    const handler = this.handlers.find((h) => h.routes.includes(key));
    if (!handler) throw new Error(`no handler serves ${key}`);
    return this.received(await handler(event));
  }

  /**
   * Like `request`, but straight into a core endpoint of the agent's workspace, as its handler would call it: the
   * response keeps `error`, the OAuth error a page or redirect carries and the wire never shows.
   */
  async core(
    endpoint: Endpoint<Workspace>,
    method: string,
    url: string,
    opts: RequestOptions = {},
  ): Promise<AgentResponse & { readonly error?: ResponseError }> {
    if (!this.workspace) throw new Error('core() drives the endpoints of a workspace given to the agent');
    const { event, path } = this.eventOf(method, url, opts);
    const res = await endpoint(toCoreRequest(event, path), this.workspace).catch(errorResponse);
    return { ...this.received(toProxyResult(res)), ...(res.error && { error: res.error }) };
  }

  /** The API Gateway event of a request, and its path relative to the issuer. */
  private eventOf(method: string, url: string, opts: RequestOptions): { event: APIGatewayProxyEvent; path: string } {
    const target = new URL(url, this.issuer + '/');
    const headers: Record<string, string> = { 'X-Forwarded-Proto': target.protocol.replace(':', ''), ...opts.headers };
    let body = opts.body ?? null;
    if (opts.form) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.form)) for (const x of [v].flat()) form.append(k, x);
      body = form.toString();
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    }
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const query: Record<string, string[]> = Object.create(null);
    for (const [k, v] of target.searchParams) (query[k] ??= []).push(v);
    const event = {
      httpMethod: method,
      path: target.pathname,
      resource: target.pathname,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: Object.keys(query).length
        ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1)!]))
        : null,
      multiValueQueryStringParameters: Object.keys(query).length ? query : null,
      body,
      isBase64Encoded: false,
      requestContext: { identity: { sourceIp: opts.sourceIp ?? '203.0.113.7' }, requestId: 'test' },
    } as unknown as APIGatewayProxyEvent;
    return { event, path: target.pathname.slice(new URL(this.issuer).pathname.length) };
  }

  /** Keeps the cookies a response sets (and drops those it deletes), as a browser would. */
  private received(result: APIGatewayProxyResult): AgentResponse {
    const setCookies = (result.multiValueHeaders?.['set-cookie'] ?? []).map(String);
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const resHeaders = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    return {
      status: result.statusCode,
      headers: resHeaders,
      setCookies,
      body: result.body,
      ...(resHeaders.location && { location: new URL(resHeaders.location) }),
      json: () => JSON.parse(result.body),
    };
  }

  get(url: string, opts?: RequestOptions) {
    return this.request('GET', url, opts);
  }

  post(url: string, opts?: RequestOptions) {
    return this.request('POST', url, opts);
  }
}

/** The value of a hidden input in a page. */
export function hiddenField(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field in page`);
  return m[1]!;
}

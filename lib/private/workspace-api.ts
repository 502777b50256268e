// The workspace's REST API: routes described by one OpenAPI body (no resource per path or method) and one invoke
// permission per function, so a workspace costs a few dozen CloudFormation resources, not a hundred.
import { Lazy, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  type HandlerName,
  handlerManifest,
  handlerNames,
  PATH_INSERTED_METADATA,
} from '../../lambdas/handlers/manifest.js';
import { acknowledgeNagRule } from './nag.js';

/** Stage of the REST API the construct creates; part of the default issuer. */
export const STAGE_NAME = 'prod';

/**
 * TLS 1.3 and 1.2 with forward secrecy only (and post-quantum key exchange where the client offers it):
 * every current OAuth client library and browser speaks it, unlike a TLS 1.3-only policy.
 */
export const DEFAULT_SECURITY_POLICY = apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09;

export interface Route {
  readonly method: string;
  /** Full path from the API's root, e.g. `/acme/customers/oauth2/token`. */
  readonly path: string;
  readonly handler: HandlerName;
}

/** Every route of a workspace under `prefix`; with the host root, also the RFC 8414 path-inserted metadata route. */
export function workspaceRoutes(prefix: string, ownsHostRoot: boolean): Route[] {
  const routes: Route[] = [];
  for (const handler of handlerNames) {
    for (const route of handlerManifest[handler]) {
      const [method, path] = route.split(' ') as [string, string];
      routes.push({ method, path: `${prefix}${path}`, handler });
      // RFC 8414 §3.1: /.well-known/oauth-authorization-server/{tenantId}/{workspaceId}, served by the same handler.
      if (ownsHostRoot && route === `GET ${PATH_INSERTED_METADATA}`)
        routes.push({ method, path: `${PATH_INSERTED_METADATA}${prefix}`, handler });
    }
  }
  return routes;
}

/** The Lambda proxy integration URI of a function. */
function invocationUri(scope: Construct, functionArn: string): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}

/** The stage variable holding the ARN of a handler's function. */
export const functionVariable = (handler: HandlerName): string => `${handler}Function`;

/**
 * The OpenAPI 3 document API Gateway imports: every route a Lambda proxy integration of the function named by
 * a stage variable. The body cannot name the functions: their environment holds the issuer, which holds the
 * API's id, so the API would depend on the functions and the functions on the API.
 */
export function openApiDocument(scope: Construct, title: string, routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, handler } of routes) {
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = {
      responses: {},
      'x-amazon-apigateway-integration': {
        type: 'aws_proxy',
        httpMethod: 'POST',
        uri: invocationUri(scope, `\${stageVariables.${functionVariable(handler)}}`),
        passthroughBehavior: 'when_no_match',
      },
    };
  }
  return { openapi: '3.0.1', info: { title, version: '1' }, paths };
}

/** Points the stage variables the body's integrations name at the functions. */
export function setFunctionVariables(
  api: apigw.RestApiBase,
  functions: Readonly<Record<HandlerName, lambda.IFunction>>,
): void {
  const stage = api.deploymentStage.node.defaultChild as apigw.CfnStage;
  stage.variables = Object.fromEntries(
    handlerNames.map((name) => [functionVariable(name), functions[name].functionArn]),
  );
}

export interface WorkspaceApiProps {
  readonly restApiName: string;
  readonly description: string;
  /** The routes, known only once the functions exist: the body is rendered at synth. */
  readonly document: () => Record<string, unknown>;
  readonly throttling: apigw.ThrottleSettings;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly securityPolicy: apigw.SecurityPolicy;
  /** A custom domain serving the API at its root; the execute-api endpoint is then switched off. */
  readonly domainName?: apigw.DomainNameOptions;
}

/** A regional REST API with JSON access logs, stage throttling and an enhanced TLS policy, in `scope`. */
export function createWorkspaceApi(scope: Construct, props: WorkspaceApiProps): apigw.SpecRestApi {
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  const body = Lazy.any({ produce: () => props.document() });
  const api = new apigw.SpecRestApi(scope, 'Api', {
    apiDefinition: apigw.ApiDefinition.fromInline(body),
    restApiName: props.restApiName,
    description: props.description,
    endpointTypes: [apigw.EndpointType.REGIONAL],
    // The account-wide logging role is not this construct's to set: see ApiGatewayCloudWatchRole.
    cloudWatchRole: false,
    // With a custom domain serving the issuer, a second URL for the same endpoints would only bypass it.
    disableExecuteApiEndpoint: props.domainName !== undefined,
    ...(props.domainName && {
      domainName: {
        securityPolicy: props.securityPolicy,
        endpointAccessMode: apigw.EndpointAccessMode.STRICT,
        ...props.domainName,
      },
    }),
    deployOptions: {
      stageName: STAGE_NAME,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      // No query strings or bodies: request id, route, status, caller address and timing only.
      accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
        caller: false,
        httpMethod: true,
        ip: true,
        protocol: true,
        requestTime: true,
        resourcePath: true,
        responseLength: true,
        status: true,
        user: false,
      }),
      throttlingRateLimit: props.throttling.rateLimit,
      throttlingBurstLimit: props.throttling.burstLimit,
    },
  });
  const cfnApi = api.node.defaultChild as apigw.CfnRestApi;
  cfnApi.securityPolicy = props.securityPolicy;
  cfnApi.endpointAccessMode = apigw.EndpointAccessMode.STRICT;
  // A new deployment whenever a route or integration changes, as RestApi does for its methods.
  api.latestDeployment?.addToLogicalId(body);
  acknowledgeNagRule(
    api,
    'APIG2',
    'Every parameter is validated by the handlers, which must answer malformed requests with OAuth error bodies ' +
      '(RFC 6749 §5.2) or the HTML error page; an API Gateway validator would answer with its own body instead.',
  );
  acknowledgeNagRule(
    api,
    'APIG6',
    'Execution logging is off on purpose: with data tracing it would record codes, tokens and client secrets. ' +
      'Each request is logged by the JSON access log and by the handler (request id, route, status, no secrets).',
  );
  return api;
}

/** Why no method carries an API Gateway authorizer (cdk-nag APIG4, COG4). */
const PUBLIC_BY_PROTOCOL =
  'OAuth 2.1 / OIDC endpoints are public by protocol: this server is where users and clients authenticate. ' +
  'The token endpoint authenticates clients itself, userinfo verifies bearer tokens itself, the JWKS and metadata ' +
  'are public documents, and CORS preflights (OPTIONS) are sent by browsers without credentials.';

/** Adds the routes as methods of an existing REST API (the caller's), each a Lambda proxy integration. */
export function addRoutesToApi(
  scope: Construct,
  api: apigw.IRestApi,
  routes: readonly Route[],
  functions: Readonly<Record<HandlerName, lambda.IFunction>>,
): void {
  for (const { method, path, handler } of routes) {
    const integration = new apigw.Integration({
      type: apigw.IntegrationType.AWS_PROXY,
      integrationHttpMethod: 'POST',
      uri: invocationUri(scope, functions[handler].functionArn),
    });
    const added = api.root.resourceForPath(path).addMethod(method, integration);
    acknowledgeNagRule(added, 'APIG4', PUBLIC_BY_PROTOCOL);
    acknowledgeNagRule(added, 'COG4', PUBLIC_BY_PROTOCOL);
  }
}

/**
 * One invoke permission per function, for its own paths on any stage: per method would be a resource per route.
 * The source ARN is the workspace's prefix, so another workspace's routes on a shared API cannot invoke it.
 */
export function permitInvocations(
  api: apigw.IRestApi,
  routes: readonly Route[],
  prefix: string,
  functions: Readonly<Record<HandlerName, lambda.IFunction>>,
): void {
  for (const name of handlerNames) {
    const own = routes.filter((r) => r.handler === name);
    const patterns = [...new Set(own.map((r) => (r.path.startsWith(`${prefix}/`) ? `${prefix}/*` : r.path)))];
    patterns.forEach((pattern, i) => {
      functions[name].addPermission(i === 0 ? 'ApiInvoke' : `ApiInvoke${i}`, {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: api.arnForExecuteApi('*', pattern, '*'),
      });
    });
  }
}

// Example CDK app: two workspaces of two tenants, plus a demo API that trusts their tokens with no code.
import { pathToFileURL } from 'node:url';
import { App, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  ApiGatewayCloudWatchRole,
  AuthorizationServer,
  ClientAuthMethod,
  type ClientRegistration,
  GrantType,
} from '../lib/index.js';

/** A tenant's workspace with the two kinds of client every example needs. */
interface TenantExample {
  readonly tenantId: string;
  readonly workspaceId: string;
  /** The resource server's identifier: the `aud` of its access tokens (RFC 8707). */
  readonly audience: string;
  readonly spaOrigin: string;
}

export const tenants: readonly TenantExample[] = [
  {
    tenantId: 'acme',
    workspaceId: 'customers',
    audience: 'https://api.acme.example',
    spaOrigin: 'https://app.acme.example',
  },
  {
    tenantId: 'globex',
    workspaceId: 'staff',
    audience: 'https://api.globex.example',
    spaOrigin: 'https://portal.globex.example',
  },
];

/**
 * A tenant's clients. Development URIs never go on a production client: a first-party client never asks for
 * consent, so any page could send a signed-in user to it with a loopback redirect URI, and whatever listens on
 * that port would get a code (RFC 9700 §2.1, RFC 8252 §8.3). The dev client has them instead, and asks for consent,
 * naming itself; leave it out of production deployments.
 */
export function clientsOf(t: TenantExample): ClientRegistration[] {
  const spa = {
    tokenEndpointAuthMethod: ClientAuthMethod.NONE,
    grantTypes: [GrantType.AUTHORIZATION_CODE],
    scopes: ['openid', 'profile', 'email', 'orders:read'],
    audience: [t.audience],
  } as const satisfies Partial<ClientRegistration>;
  return [
    {
      // A browser app: public, so PKCE is its only proof of possession of the code.
      ...spa,
      clientId: `${t.tenantId}-spa`,
      clientName: `${t.tenantId} web app`,
      redirectUris: [`${t.spaOrigin}/callback`],
      firstParty: true,
    },
    {
      // The same app on a developer's machine (a Vite dev server): not first-party, so the user always sees its name.
      ...spa,
      clientId: `${t.tenantId}-spa-dev`,
      clientName: `${t.tenantId} web app (development)`,
      redirectUris: ['http://127.0.0.1:5173/callback'],
    },
    {
      // A server-side web backend: confidential, its secret generated at deploy time and kept in Secrets Manager.
      clientId: `${t.tenantId}-backend`,
      clientName: `${t.tenantId} account portal`,
      tokenEndpointAuthMethod: ClientAuthMethod.CLIENT_SECRET_BASIC,
      redirectUris: [`${t.spaOrigin}/portal/callback`],
      grantTypes: [GrantType.AUTHORIZATION_CODE],
      scopes: ['openid', 'profile', 'email', 'orders:read'],
      audience: [t.audience],
    },
  ];
}

/** The demo API's one route: echoes who called, as the JWT authorizer verified it. */
const DEMO_HANDLER = `exports.handler = async (event) => {
  const claims = event.requestContext.authorizer.jwt.claims;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orders: [], sub: claims.sub, clientId: claims.client_id, scope: claims.scope }),
  };
};`;

export class ExampleStack extends Stack {
  readonly servers: readonly AuthorizationServer[];
  readonly demoApi: apigwv2.HttpApi;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // API Gateway's account-wide logging role, which access logging needs: once per account and region. Leave it
    // out where a landing zone or another stack already sets it.
    new ApiGatewayCloudWatchRole(this, 'ApiGatewayLogging');
    this.servers = tenants.map(
      (t) =>
        new AuthorizationServer(this, `${t.tenantId}-${t.workspaceId}`, {
          tenantId: t.tenantId,
          workspaceId: t.workspaceId,
          clients: clientsOf(t),
        }),
    );
    this.demoApi = this.createDemoApi();
  }

  /** A resource server with no token code: API Gateway's JWT authorizer checks issuer, audience and scope. */
  private createDemoApi(): apigwv2.HttpApi {
    const logGroup = new logs.LogGroup(this, 'DemoLogs', { retention: logs.RetentionDays.ONE_WEEK });
    const role = new iam.Role(this, 'DemoRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const fn = new lambda.Function(this, 'DemoHandler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(DEMO_HANDLER),
      role,
      logGroup,
    });
    const integration = new HttpLambdaIntegration('Demo', fn);

    const api = new apigwv2.HttpApi(this, 'DemoApi', { createDefaultStage: false });
    api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'DemoAccessLogs', { retention: logs.RetentionDays.ONE_WEEK }),
        ),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    tenants.forEach((t, i) => {
      const server = this.servers[i] as AuthorizationServer;
      api.addRoutes({
        path: `/${t.tenantId}/orders`,
        methods: [apigwv2.HttpMethod.GET],
        integration,
        authorizer: new HttpJwtAuthorizer(`${t.tenantId}-jwt`, server.issuer, { jwtAudience: [t.audience] }),
        authorizationScopes: ['orders:read'],
      });
    });
    new CfnOutput(this, 'DemoApiUrl', {
      value: api.apiEndpoint,
      description: 'GET /{tenantId}/orders with a bearer token',
    });
    return api;
  }
}

/** Builds the example app, as `cdk synth` runs it through cdk.json. */
export function buildApp(app = new App()): { app: App; stack: ExampleStack } {
  // No `env`: the stack is environment-agnostic, so synth needs no credentials and makes no lookups.
  const stack = new ExampleStack(app, 'AuthorizationServerExample');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

// Synthesizes when run as the CDK app (cdk.json), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) buildApp().app.synth();

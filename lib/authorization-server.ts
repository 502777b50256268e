// The AuthorizationServer construct: one OAuth 2.1 / OIDC workspace (issuer, keys, clients, data) on AWS.
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../lambdas/adapters/dynamodb/table-contract.js';
import { kmsSigningAlgorithm } from '../lambdas/adapters/kms/signing-algorithm.js';
import type { ClientRegistration } from '../lambdas/core/model.js';
import type { Branding } from '../lambdas/core/pages/branding.js';
import { registrationOf } from '../lambdas/core/registration/registration.js';
import { SIGNING_ALGS, type SigningAlg } from '../lambdas/core/ports/signing.js';
import type { WorkspaceSettings } from '../lambdas/core/workspace.js';
import { ENV, settingText, settingVariable } from '../lambdas/handlers/environment-contract.js';
import {
  type HandlerName,
  handlerManifest,
  handlerNames,
  PATH_INSERTED_METADATA,
} from '../lambdas/handlers/manifest.js';
import {
  type EndpointMetricOptions,
  metricsEnvironment,
  type MonitoringOptions,
  Operations,
  type TokensIssuedMetricOptions,
  WorkspaceMetrics,
} from './monitoring.js';
import { ApiGatewayAccount } from './private/api-gateway-account.js';
import { BundledFunction } from './private/bundled-function.js';
import { ClientSync } from './private/client-sync.js';
import { acknowledgeNagRule } from './private/nag.js';
import { type HandlerAccess, handlerAccess } from './private/handler-access.js';
import {
  checkBaseUrl,
  checkBoolean,
  checkClient,
  checkDuration,
  checkId,
  checkInteger,
  checkOneOf,
  checkPageOptions,
  PropError,
} from './private/validation.js';
import { RateLimitedWebAcl } from './private/web-acl.js';

/** JWS algorithm of the workspace's tokens; it decides the KMS key spec. */
export type SigningAlgorithm = SigningAlg;

const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = SIGNING_ALGS;

const KEY_SPEC: Readonly<Record<SigningAlgorithm, kms.KeySpec>> = {
  RS256: kms.KeySpec.RSA_2048,
  PS256: kms.KeySpec.RSA_2048,
  ES256: kms.KeySpec.ECC_NIST_P256,
};

/** Stage of the REST API the construct creates; part of the default issuer. */
const STAGE_NAME = 'prod';

const KEY_NAME_PATTERN = /^[A-Za-z0-9]{1,32}$/;

/** Stage-wide API Gateway throttling (token bucket). */
export interface ApiThrottling {
  /** Steady-state requests per second. @default 100 */
  readonly rateLimit?: number;
  /** Bucket size. @default 200 */
  readonly burstLimit?: number;
}

export interface AuthorizationServerProps {
  /**
   * The tenant owning the workspace: first path segment of the issuer. 1-63 lower-case letters, digits
   * or inner hyphens.
   */
  readonly tenantId: string;
  /** The workspace within the tenant: second path segment of the issuer. Same syntax as `tenantId`. */
  readonly workspaceId: string;
  /**
   * Clients written into the workspace at deploy time; more with `addClient`. Confidential clients get a
   * generated secret in Secrets Manager (see `clientSecrets`). Clients dropped from this list are deleted
   * from the workspace on the next deployment.
   * @default - no clients
   */
  readonly clients?: readonly ClientRegistration[];
  /** Authorization code lifetime, 1 second to 10 minutes. @default Duration.seconds(60) */
  readonly authorizationCodeLifetime?: Duration;
  /** Access token lifetime, 1 minute to 24 hours. @default Duration.hours(1) */
  readonly accessTokenLifetime?: Duration;
  /** ID token lifetime, 1 minute to 24 hours. @default Duration.hours(1) */
  readonly idTokenLifetime?: Duration;
  /** Browser session (SSO) lifetime, 1 minute to 30 days. @default Duration.hours(8) */
  readonly sessionLifetime?: Duration;
  /**
   * Whether every client must push its authorization requests to `/oauth2/par` first (RFC 9126) and send only the
   * `request_uri` to the authorization endpoint; advertised as `require_pushed_authorization_requests`. Without
   * it, a client can still be required to by its own `requirePar`.
   * @default false
   */
  readonly requirePushedAuthorizationRequests?: boolean;
  /**
   * How long a refresh token stays good unused, 1 minute to 365 days; every rotation starts it anew, but no
   * refresh token outlives `refreshTokenAbsoluteLifetime`.
   * @default Duration.days(14)
   */
  readonly refreshTokenIdleLifetime?: Duration;
  /**
   * How long the refresh tokens of one sign-in can be rotated in all, from the code's redemption, 1 minute to
   * 365 days; after it the user signs in again.
   * @default Duration.days(30)
   */
  readonly refreshTokenAbsoluteLifetime?: Duration;
  /**
   * Algorithm of every token: `RS256` and `PS256` on `RSA_2048` keys, `ES256` on `ECC_NIST_P256` keys.
   * RS256 is what every OIDC client and API Gateway's JWT authorizers accept, and RSA requests are the
   * cheaper KMS request class. Every key of the workspace uses it; switching between RSA and ES256
   * replaces the keys, so tokens signed before stop verifying.
   * @default 'RS256'
   */
  readonly signingAlgorithm?: SigningAlgorithm;
  /**
   * Names of the workspace's KMS signing keys (1-32 letters or digits each), one key per name. Every key
   * is published in the JWKS; `activeSigningKey` signs. Rotation without a single failed verification:
   * 1. append a name (`['primary', 'next']`) and deploy: the new key is published, `primary` still signs;
   * 2. wait until verifiers have refreshed their cached JWKS (the longest cache among your APIs and clients);
   * 3. set `activeSigningKey: 'next'` and deploy: new tokens are signed by `next`, older ones still verify;
   * 4. once the longest access/ID token lifetime has passed, remove `primary` and deploy. With the default
   *    removal policy its KMS key is retained; schedule its deletion in KMS when you no longer need it.
   * @default ['primary']
   */
  readonly signingKeys?: readonly string[];
  /** The one of `signingKeys` that signs. @default - the first of `signingKeys` */
  readonly activeSigningKey?: string;
  /** What happens to the table, keys, secrets and log groups when they leave the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection of the table. @default - true unless `removalPolicy` is DESTROY */
  readonly deletionProtection?: boolean;
  /**
   * Whether to associate a WAF web ACL with rate-based rules with the API stage. With `api`, the stage is
   * the caller's (one web ACL per stage), so this must stay off.
   * @default - true, or false when `api` is given
   */
  readonly waf?: boolean;
  /** WAF: requests per source address per 5 minutes before it is blocked. @default 1000 */
  readonly wafRateLimit?: number;
  /** WAF: login form posts per source address per 5 minutes before they are blocked. @default 100 */
  readonly wafLoginRateLimit?: number;
  /** Stage throttling of the REST API the construct creates (ignored with `api`). @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttling?: ApiThrottling;
  /**
   * An existing REST API of the same stack to add the workspace's routes to, e.g. to serve several
   * workspaces on one API and custom domain. Its stage (logging, throttling, WAF) stays the caller's.
   * @default - a new regional REST API with access logging, throttling and WAF
   */
  readonly api?: apigw.RestApi;
  /**
   * Public base URL of the API when it is served through a custom domain, e.g. `https://id.example.com`;
   * the issuer is `{baseUrl}/{tenantId}/{workspaceId}`. A base URL without a path means the deployment owns
   * the host root, so the RFC 8414 path-inserted metadata route is added too.
   * @default - the API's execute-api URL including the stage
   */
  readonly baseUrl?: string;
  /**
   * Create the account-level role API Gateway needs to write access logs (shared by the stack's
   * workspaces). Turn off when the account/region already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /** Retention of the Lambda and access log groups (audit events live there). @default RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Metrics namespace, dashboard and alarms. The handlers publish their metrics through their log lines
   * (Embedded Metric Format), so metrics need no permission and no API call.
   * @default - namespace `AuthorizationServer`, the stack's dashboard and the alarms on, no alarm actions
   */
  readonly monitoring?: MonitoringOptions;
  /**
   * How the hosted pages (login, consent, error, sign-out) present the workspace: name, logo (https; its origin
   * is the only one the pages' CSP lets images load from), button colour (`#rgb`/`#rrggbb`; the button text is
   * black or white, whichever meets WCAG AA 4.5:1) and a support link, which error pages offer as the way back.
   * @default - unbranded
   */
  readonly branding?: Branding;
  /**
   * What custom scopes mean, per page language (`en`, `de`, `fr`), shown on the consent page, e.g.
   * `{ 'orders:read': { en: 'Read your orders', de: 'Ihre Bestellungen lesen' } }`. A language left out shows the
   * English text; standard OIDC scopes are described already.
   * @default - custom scopes are shown by name only
   */
  readonly scopeDescriptions?: { readonly [scope: string]: { readonly [language: string]: string } };
}

/** Lifetime props and the workspace setting each one overrides. */
const LIFETIMES = [
  { prop: 'authorizationCodeLifetime', setting: 'codeTtl', min: Duration.seconds(1), max: Duration.minutes(10) },
  { prop: 'accessTokenLifetime', setting: 'accessTokenTtl', min: Duration.minutes(1), max: Duration.hours(24) },
  { prop: 'idTokenLifetime', setting: 'idTokenTtl', min: Duration.minutes(1), max: Duration.hours(24) },
  { prop: 'sessionLifetime', setting: 'sessionTtl', min: Duration.minutes(1), max: Duration.days(30) },
  {
    prop: 'refreshTokenIdleLifetime',
    setting: 'refreshTokenIdleTtl',
    min: Duration.minutes(1),
    max: Duration.days(365),
  },
  {
    prop: 'refreshTokenAbsoluteLifetime',
    setting: 'refreshTokenAbsoluteTtl',
    min: Duration.minutes(1),
    max: Duration.days(365),
  },
] as const satisfies readonly {
  prop: keyof AuthorizationServerProps;
  setting: keyof WorkspaceSettings;
  min: Duration;
  max: Duration;
}[];

/** Yes/no props and the workspace setting each one overrides. */
const FLAGS = [
  { prop: 'requirePushedAuthorizationRequests', setting: 'requirePushedAuthorizationRequests' },
] as const satisfies readonly { prop: keyof AuthorizationServerProps; setting: keyof WorkspaceSettings }[];

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** Why no method carries an API Gateway authorizer (cdk-nag APIG4, COG4). */
const PUBLIC_BY_PROTOCOL =
  'OAuth 2.1 / OIDC endpoints are public by protocol: this server is where users and clients authenticate. ' +
  'The token endpoint authenticates clients itself, userinfo verifies bearer tokens itself, the JWKS and metadata ' +
  'are public documents, and CORS preflights (OPTIONS) are sent by browsers without credentials.';

/** Adds a public route and records why it has no authorizer. */
function addPublicMethod(resource: apigw.IResource, method: string, integration: apigw.Integration): void {
  const added = resource.addMethod(method, integration);
  acknowledgeNagRule(added, 'APIG4', PUBLIC_BY_PROTOCOL);
  acknowledgeNagRule(added, 'COG4', PUBLIC_BY_PROTOCOL);
}

/**
 * One workspace of a tenant: an OAuth 2.1 / OpenID Connect authorization server with its own issuer
 * (`{base}/{tenantId}/{workspaceId}`), KMS signing keys, DynamoDB table, clients and users.
 */
export class AuthorizationServer extends Construct {
  readonly tenantId: string;
  readonly workspaceId: string;
  /** `{base}/{tenantId}/{workspaceId}`; what tokens carry as `iss`. */
  readonly issuer: string;
  /** `{issuer}/.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  readonly api: apigw.RestApi;
  /** The workspace's single table (on-demand, TTL, point-in-time recovery). */
  readonly table: dynamodb.Table;
  /** The key that signs (`activeSigningKey`). */
  readonly signingKey: kms.Key;
  /** Every signing key by name; all of them are published in the JWKS. */
  readonly signingKeys: Readonly<Record<string, kms.Key>>;
  readonly signingAlgorithm: SigningAlgorithm;
  /** One function per handler module of the manifest, by handler name. */
  readonly functions: Readonly<Record<HandlerName, lambda.Function>>;
  /** The web ACL, unless `waf` is off. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** Secrets Manager secrets of the confidential clients, by client id; grant owners read on them. */
  readonly clientSecrets: Readonly<Record<string, secretsmanager.ISecret>>;

  /** The workspace's alarms (5xx rate, throttles, KMS errors, replays, failed sign-ins); empty when turned off. */
  readonly alarms: readonly cloudwatch.IAlarm[];

  private readonly clientSync: ClientSync;
  private readonly metrics: WorkspaceMetrics;

  constructor(scope: Construct, id: string, props: AuthorizationServerProps) {
    super(scope, id);
    checkId('tenantId', props.tenantId);
    checkId('workspaceId', props.workspaceId);
    this.tenantId = props.tenantId;
    this.workspaceId = props.workspaceId;
    const label = `${props.tenantId}/${props.workspaceId}`;
    for (const { prop, min, max } of LIFETIMES) checkDuration(prop, props[prop], min, max);
    for (const { prop } of FLAGS) checkBoolean(prop, props[prop]);
    checkOneOf('signingAlgorithm', props.signingAlgorithm, SIGNING_ALGORITHMS);
    checkInteger('wafRateLimit', props.wafRateLimit, 10, 2_000_000_000);
    checkInteger('wafLoginRateLimit', props.wafLoginRateLimit, 10, 2_000_000_000);
    checkInteger('throttling.rateLimit', props.throttling?.rateLimit, 1, 1_000_000);
    checkInteger('throttling.burstLimit', props.throttling?.burstLimit, 1, 1_000_000);
    checkPageOptions(props.branding, props.scopeDescriptions);
    const baseUrl = props.baseUrl === undefined ? undefined : checkBaseUrl('baseUrl', props.baseUrl);
    const keyNames = this.checkKeyNames(props);
    this.metrics = new WorkspaceMetrics({ ...props, options: props.monitoring });
    const activeKeyName = props.activeSigningKey ?? (keyNames[0] as string);
    if (!keyNames.includes(activeKeyName))
      throw new PropError('activeSigningKey', `"${activeKeyName}" is not one of signingKeys.`);
    if (props.api && props.waf) {
      throw new PropError(
        'waf',
        'cannot be true with `api`: the stage belongs to the API you passed; associate one web ACL with it yourself.',
      );
    }
    if (props.api && Stack.of(props.api) !== Stack.of(this)) {
      throw new PropError(
        'api',
        'must belong to the same stack: its methods and the functions they invoke reference each other.',
      );
    }
    if (props.api && props.throttling)
      throw new PropError('throttling', 'applies only to the REST API the construct creates, not to `api`.');

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    if (removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        'cdk-authorization-server:destroy',
        'removalPolicy DESTROY deletes the table and schedules the signing keys for deletion with the stack: users, clients and grants are lost.',
      );
    }

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });

    this.signingAlgorithm = props.signingAlgorithm ?? 'RS256';
    const keys: Record<string, kms.Key> = {};
    for (const name of keyNames) {
      keys[name] = new kms.Key(this, `SigningKey-${name}`, {
        description: `Token signing key "${name}" (${this.signingAlgorithm}) of workspace ${label}`,
        keySpec: KEY_SPEC[this.signingAlgorithm],
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        // The longest window: a key deleted by mistake can be recovered while tokens still reference it.
        pendingWindow: Duration.days(30),
        removalPolicy,
      });
    }
    this.signingKeys = keys;
    this.signingKey = keys[activeKeyName] as kms.Key;

    this.api = props.api ?? this.createApi(props, label, logRetention, removalPolicy);
    const { base, ownsHostRoot } = this.issuerBase(props.api, baseUrl);
    const prefix = `/${props.tenantId}/${props.workspaceId}`;
    this.issuer = `${base}${prefix}`;
    this.discoveryUrl = `${this.issuer}/.well-known/openid-configuration`;
    if (props.api?.root.getResource(props.tenantId)?.getResource(props.workspaceId)) {
      throw new PropError('workspaceId', `"${label}" is already served by this api.`);
    }

    const environment: Record<string, string> = {
      [ENV.tableName]: this.table.tableName,
      [ENV.tenantId]: props.tenantId,
      [ENV.workspaceId]: props.workspaceId,
      [ENV.issuer]: this.issuer,
      [ENV.signingAlg]: this.signingAlgorithm,
      [ENV.signingKeyIds]: keyNames.map((name) => (keys[name] as kms.Key).keyArn).join(','),
      [ENV.activeSigningKeyId]: this.signingKey.keyArn,
      ...metricsEnvironment(props.monitoring),
      ...(props.branding && { [ENV.branding]: Stack.of(this).toJsonString(props.branding) }),
      ...(props.scopeDescriptions && {
        [ENV.scopeDescriptions]: Stack.of(this).toJsonString(props.scopeDescriptions),
      }),
    };
    for (const { prop, setting } of LIFETIMES) {
      const value = props[prop];
      if (value !== undefined) environment[settingVariable(setting)] = settingText(value.toSeconds());
    }
    for (const { prop, setting } of FLAGS) {
      const value = props[prop];
      if (value !== undefined) environment[settingVariable(setting)] = settingText(value);
    }

    const functions = {} as Record<HandlerName, lambda.Function>;
    const integrations = {} as Record<HandlerName, apigw.LambdaIntegration>;
    for (const name of handlerNames) {
      const access = handlerAccess[name];
      const fn = new BundledFunction(this, `${pascal(name)}Handler`, {
        asset: name,
        description: `${name} endpoints of workspace ${label}`,
        environment,
        memorySize: access.memorySize,
        logRetention,
        removalPolicy,
      });
      this.grantAccess(fn.role, access);
      functions[name] = fn.function;
      // No test-invoke permission: the console's test button is not worth a second resource policy per route.
      integrations[name] = new apigw.LambdaIntegration(fn.function, { allowTestInvoke: false });
      for (const route of handlerManifest[name]) {
        const [method, path] = route.split(' ') as [string, string];
        addPublicMethod(this.api.root.resourceForPath(`${prefix}${path}`), method, integrations[name]);
      }
    }
    this.functions = functions;

    if (ownsHostRoot) {
      // RFC 8414 §3.1: /.well-known/oauth-authorization-server/{tenantId}/{workspaceId}, served by the same handler.
      const metadataRoute = `GET ${PATH_INSERTED_METADATA}`;
      const owner = handlerNames.find((name) => (handlerManifest[name] as readonly string[]).includes(metadataRoute));
      if (owner)
        addPublicMethod(
          this.api.root.resourceForPath(`${PATH_INSERTED_METADATA}${prefix}`),
          'GET',
          integrations[owner],
        );
    }

    if (!props.api && props.waf !== false) {
      this.webAcl = new RateLimitedWebAcl(this, 'WebAcl', {
        stage: this.api.deploymentStage,
        metricPrefix: `authz-${props.tenantId}-${props.workspaceId}`,
        requestsPerAddress: props.wafRateLimit ?? 1000,
        loginPostsPerAddress: props.wafLoginRateLimit ?? 100,
      }).webAcl;
    } else if (!props.api) {
      Annotations.of(this).addWarningV2(
        'cdk-authorization-server:no-waf',
        'waf is off: nothing rate-limits requests per source address before they reach the Lambdas.',
      );
    }

    this.alarms = new Operations(this, 'Operations', {
      metrics: this.metrics,
      api: this.api,
      ownsApi: !props.api,
      functions: Object.values(functions),
      options: props.monitoring,
    }).alarms;

    this.clientSync = new ClientSync(this, 'Clients', {
      table: this.table,
      workspaceLabel: label,
      removalPolicy,
      logRetention,
    });
    this.clientSecrets = this.clientSync.secrets;
    (props.clients ?? []).forEach((client, i) => this.declareClient(`clients[${i}]`, client));

    new CfnOutput(this, 'Issuer', { value: this.issuer, description: `Issuer of workspace ${label}` });
    new CfnOutput(this, 'DiscoveryUrl', {
      value: this.discoveryUrl,
      description: `OpenID discovery document of ${label}`,
    });
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: `DynamoDB table of ${label} (admin tooling)`,
    });
  }

  /** Milliseconds from request to response, of one endpoint or all. @default statistic p99, period 5 minutes */
  metricLatency(options?: EndpointMetricOptions): cloudwatch.Metric {
    return this.metrics.latency(options);
  }

  /** Requests served, of one endpoint or all. @default statistic SampleCount, period 5 minutes */
  metricRequests(options?: EndpointMetricOptions): cloudwatch.Metric {
    return this.metrics.requests(options);
  }

  /** Requests answered with OAuth error `error` (e.g. `invalid_grant`, `server_error`). @default statistic Sum */
  metricErrors(error: string, options?: EndpointMetricOptions): cloudwatch.Metric {
    return this.metrics.errors(error, options);
  }

  /** Token responses, of one grant type or all. @default statistic Sum, period 5 minutes */
  metricTokensIssued(options?: TokensIssuedMetricOptions): cloudwatch.Metric {
    return this.metrics.tokensIssued(options);
  }

  /** Sign-ins refused for a wrong username or password or a disabled user. @default statistic Sum */
  metricLoginFailures(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.count('loginFailures', options);
  }

  /** Sign-ins refused by the failed-login throttle. @default statistic Sum */
  metricLoginThrottles(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.count('loginThrottles', options);
  }

  /** Used codes, rotated refresh tokens and used client assertions presented again. @default statistic Sum */
  metricReplays(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.count('replays', options);
  }

  /** KMS calls that failed after the SDK's retries. @default statistic Sum */
  metricKmsErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.count('kmsErrors', options);
  }

  /** DynamoDB calls that failed after the SDK's retries (condition refusals aside). @default statistic Sum */
  metricDynamoDbErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.count('dynamoDbErrors', options);
  }

  /** 5xx answers of the API (all its workspaces when it is shared). @default statistic Sum, period 5 minutes */
  metricServerErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricServerError({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /** Adds a client to the workspace at deploy time, exactly like an entry of the `clients` prop. */
  addClient(registration: ClientRegistration): void {
    this.declareClient(`addClient(${JSON.stringify(registration?.clientId)})`, registration);
  }

  private declareClient(prop: string, registration: ClientRegistration): void {
    checkClient(prop, registration);
    if (this.clientSync.has(registration.clientId)) {
      throw new PropError(`${prop}.clientId`, `"${registration.clientId}" is declared twice.`);
    }
    this.clientSync.add(registrationOf(registration));
    const secret = this.clientSync.secrets[registration.clientId];
    if (secret) {
      new CfnOutput(this, `ClientSecret-${registration.clientId}`, {
        value: secret.secretArn,
        description: `Secrets Manager secret of client ${registration.clientId} (JSON: clientId, clientSecret)`,
      });
    }
  }

  private checkKeyNames(props: AuthorizationServerProps): readonly string[] {
    const names = props.signingKeys ?? ['primary'];
    if (!Array.isArray(names) || names.length === 0) throw new PropError('signingKeys', 'must name at least one key.');
    names.forEach((name, i) => {
      if (typeof name !== 'string' || !KEY_NAME_PATTERN.test(name)) {
        throw new PropError(`signingKeys[${i}]`, `"${String(name)}" must be 1-32 letters or digits.`);
      }
      if (names.indexOf(name) !== i) throw new PropError(`signingKeys[${i}]`, `"${name}" is listed twice.`);
    });
    return names;
  }

  private createApi(
    props: AuthorizationServerProps,
    label: string,
    logRetention: logs.RetentionDays,
    removalPolicy: RemovalPolicy,
  ): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `authz-${props.tenantId}-${props.workspaceId}`,
      description: `OAuth 2.1 / OpenID Connect endpoints of workspace ${label}`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The account-wide logging role is created once per stack by ApiGatewayAccount, not per API.
      cloudWatchRole: false,
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
        throttlingRateLimit: props.throttling?.rateLimit ?? 100,
        throttlingBurstLimit: props.throttling?.burstLimit ?? 200,
      },
    });
    if (props.cloudWatchRole !== false) api.deploymentStage.node.addDependency(ApiGatewayAccount.of(this).account);
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

  /**
   * The issuer's base, built from parts known before the stage exists: the stage's own URL would make
   * the functions (whose environment holds the issuer) depend on the stage, which depends on them.
   */
  private issuerBase(
    api: apigw.RestApi | undefined,
    baseUrl: string | undefined,
  ): { base: string; ownsHostRoot: boolean } {
    if (baseUrl !== undefined) {
      return { base: baseUrl, ownsHostRoot: !Token.isUnresolved(baseUrl) && new URL(baseUrl).pathname === '/' };
    }
    let stageName = STAGE_NAME;
    if (api) {
      const declared = (api.deploymentStage?.node.defaultChild as apigw.CfnStage | undefined)?.stageName;
      if (typeof declared !== 'string' || Token.isUnresolved(declared)) {
        throw new PropError('baseUrl', 'is required with an `api` whose stage name is not known at synth time.');
      }
      stageName = declared;
    }
    const stack = Stack.of(this.api);
    return {
      base: `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stageName}`,
      ownsHostRoot: false,
    };
  }

  private grantAccess(role: iam.IRole, access: HandlerAccess): void {
    if (access.table.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...access.table], resources: [this.table.tableArn] }),
      );
    }
    if (access.keys !== 'none') {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GetPublicKey'],
          resources: Object.values(this.signingKeys).map((key) => key.keyArn),
        }),
      );
    }
    if (access.keys === 'sign') {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Sign'],
          resources: [this.signingKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:SigningAlgorithm': kmsSigningAlgorithm[this.signingAlgorithm],
              'kms:MessageType': 'DIGEST',
            },
          },
        }),
      );
    }
  }
}

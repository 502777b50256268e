// The AuthorizationServer construct: one OAuth 2.1 / OIDC workspace (issuer, keys, clients, data) on AWS.
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, type IConstruct } from 'constructs';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../lambdas/adapters/dynamodb/table-contract.js';
import { keys as itemKeys } from '../lambdas/adapters/dynamodb/keys.js';
import type { Branding } from '../lambdas/core/pages/branding.js';
import { registrationOf } from '../lambdas/core/registration/registration.js';
import { SIGNING_ALGS } from '../lambdas/core/ports/signing.js';
import type { WorkspaceSettings } from '../lambdas/core/workspace.js';
import { ENV, settingText, settingVariable } from '../lambdas/handlers/environment-contract.js';
import { type HandlerName, handlerNames } from '../lambdas/handlers/manifest.js';
import { ApiGatewayCloudWatchRole } from './api-gateway-cloudwatch-role.js';
import { type ClientRegistration, coreRegistration } from './clients.js';
import {
  type EndpointMetricOptions,
  apiMetric,
  metricsEnvironment,
  type MonitoringOptions,
  Operations,
  type TokensIssuedMetricOptions,
  WorkspaceMetrics,
} from './monitoring.js';
import { BundledFunction } from './private/bundled-function.js';
import { ClientSync } from './private/client-sync.js';
import { handlerAccess } from './private/handler-access.js';
import { IdentitySources, type IdentitySourceProps } from './private/identity-sources.js';
import { createSigningKey, grantKeyAccess, type SigningKeyEntry } from './private/signing-keys.js';
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
  withConstructPath,
} from './private/validation.js';
import { associateWebAcl, RateLimitedWebAcl, type WebAclLimits } from './private/web-acl.js';
import {
  addRoutesToApi,
  createWorkspaceApi,
  DEFAULT_SECURITY_POLICY,
  openApiDocument,
  permitInvocations,
  setFunctionVariables,
  STAGE_NAME,
  workspaceRoutes,
} from './private/workspace-api.js';

/** JWS algorithm of the workspace's tokens; it decides the KMS key spec. */
export enum SigningAlgorithm {
  /** RSASSA-PKCS1-v1_5 with SHA-256 on an `RSA_2048` key: what every OIDC client and JWT authorizer accepts. */
  RS256 = 'RS256',
  /** RSASSA-PSS with SHA-256 on an `RSA_2048` key. */
  PS256 = 'PS256',
  /** ECDSA with P-256 and SHA-256 on an `ECC_NIST_P256` key. */
  ES256 = 'ES256',
}

const SIGNING_ALGORITHMS: readonly string[] = SIGNING_ALGS;

const KEY_NAME_PATTERN = /^[A-Za-z0-9]{1,32}$/;

/**
 * At most this many signing keys per workspace: rotation needs two, every key is $1 a month and its ARN
 * goes into every function's environment (4 KB in all).
 */
const MAX_SIGNING_KEYS = 5;

/** WAF rate limits, each counted per 5 minutes. */
export interface WafRateLimits {
  /**
   * Requests to the browser routes (authorize, consent/login, logout) per source address. A corporate NAT
   * puts many users behind one address: raise it for large organisations signing in from one network.
   * @default 1000
   */
  readonly browserRequestsPerAddress?: number;
  /** Login form posts (`POST …/consent`) per source address; per-username throttling is in the application. @default 100 */
  readonly loginPostsPerAddress?: number;
  /**
   * Requests to the server-to-server routes (token, revocation, introspection, PAR, userinfo, JWKS, metadata)
   * per source address: a backend exchanging codes for all its users from one egress address needs headroom.
   * @default 30000 (100 per second, the default stage rate)
   */
  readonly apiRequestsPerAddress?: number;
  /**
   * Requests to the server-to-server routes per `Authorization` header value: one client's Basic credentials
   * or one bearer token. Requests without the header are counted only per address.
   * @default 6000 (20 per second)
   */
  readonly apiRequestsPerCredential?: number;
}

const DEFAULT_WAF_LIMITS: WebAclLimits = {
  browserRequestsPerAddress: 1000,
  loginPostsPerAddress: 100,
  apiRequestsPerAddress: 30_000,
  apiRequestsPerCredential: 6_000,
};

const DEFAULT_THROTTLING = { rateLimit: 100, burstLimit: 200 } as const;
/** Props of `AuthorizationServer`. */
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
  readonly clients?: ClientRegistration[];
  /** Authorization code lifetime, 1 second to 10 minutes. @default Duration.seconds(60) */
  readonly authorizationCodeLifetime?: Duration;
  /** Access token lifetime, 1 minute to 24 hours. @default Duration.hours(1) */
  readonly accessTokenLifetime?: Duration;
  /** ID token lifetime, 1 minute to 24 hours. @default Duration.hours(1) */
  readonly idTokenLifetime?: Duration;
  /** Browser session (SSO) lifetime, 1 minute to 30 days. @default Duration.hours(8) */
  readonly sessionLifetime?: Duration;
  /**
   * How long a running function serves a client record from memory before reading it again, 1 second to 15 minutes:
   * a client changed by a deployment or the admin CLI is seen everywhere within this time (new instances see it at
   * once).
   * @default Duration.seconds(60)
   */
  readonly clientCacheLifetime?: Duration;
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
   * @default SigningAlgorithm.RS256
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
   * At most 5 keys, together with `existingSigningKeys`.
   * @default ['primary'], or none with `existingSigningKeys`
   */
  readonly signingKeys?: string[];
  /**
   * Signing keys managed elsewhere, by name (same syntax as `signingKeys`, published in the JWKS with them).
   * Their spec must match `signingAlgorithm`. Their key policy is their owner's: the functions get identity
   * policies for them, and only a key policy can keep other principals of the account from signing with them.
   * @default - none
   */
  readonly existingSigningKeys?: { [name: string]: kms.IKey };
  /** The key that signs, by name. @default - the first of `signingKeys`, else of `existingSigningKeys` */
  readonly activeSigningKey?: string;
  /**
   * What happens to the table, keys, secrets and log groups when they leave the stack. With `RETAIN`, keys,
   * secrets and log groups use `RETAIN_ON_UPDATE_OR_DELETE`: a failed first deployment removes them instead of
   * leaving paid orphans; the table is always retained as asked. `SNAPSHOT` is refused (DynamoDB has none).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection of the table; cannot be true with `DESTROY`. @default - true unless `removalPolicy` is DESTROY */
  readonly deletionProtection?: boolean;
  /**
   * Whether to associate a WAF web ACL with rate-based rules with the API stage. With `api`, the stage is
   * the caller's (one web ACL per stage), so this must stay off.
   * @default - true, or false when `api` is given
   */
  readonly waf?: boolean;
  /** Limits of the web ACL the construct creates; see `WafRateLimits`. @default - each limit's default */
  readonly wafRateLimits?: WafRateLimits;
  /**
   * Associate this web ACL (regional, e.g. another workspace's `webAcl.attrArn`) with the stage instead of
   * creating one: one web ACL for several workspaces saves its monthly charge; its limits then count across
   * them. Requires `waf` not false.
   * @default - a web ACL per workspace
   */
  readonly webAclArn?: string;
  /**
   * Stage-wide throttling (token bucket) of the REST API the construct creates, shared by all its routes;
   * not allowed with `api`. A burst beyond it gets 429 from API Gateway before any Lambda runs, which also
   * bounds the account-wide Lambda concurrency a workspace can take.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttling?: apigw.ThrottleSettings;
  /**
   * An existing REST API of the same stack to add the workspace's routes to, e.g. to serve several
   * workspaces on one API and custom domain. Its stage (logging, throttling, WAF) stays the caller's.
   * @default - a new regional REST API with access logging, throttling and WAF
   */
  readonly api?: apigw.IRestApi;
  /**
   * Public base URL of the API when it is served through a custom domain, e.g. `https://id.example.com`;
   * the issuer is `{baseUrl}/{tenantId}/{workspaceId}`. A base URL without a path means the deployment owns
   * the host root, so the RFC 8414 path-inserted metadata route is added too.
   * @default - `https://{domainName}` with `domainName`, else the API's execute-api URL including the stage
   */
  readonly baseUrl?: string;
  /**
   * A custom domain for the REST API the construct creates, as `RestApi`'s `domainName` (a regional ACM
   * certificate); the API is mapped at its root and the issuer is `https://{domainName}/{tenantId}/{workspaceId}`.
   * The execute-api endpoint is then disabled, so the issuer's host is the only way in. Point a DNS alias at
   * `api.domainName`. Not allowed with `api`.
   * @default - no custom domain
   */
  readonly domainName?: apigw.DomainNameOptions;
  /**
   * TLS policy of the REST API the construct creates and its custom domain (endpoint access mode STRICT).
   * @default SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09 (TLS 1.3 and 1.2 with forward secrecy)
   */
  readonly securityPolicy?: apigw.SecurityPolicy;
  /**
   * Set the account- and region-wide CloudWatch role of API Gateway from this stack (one
   * `ApiGatewayCloudWatchRole` per stack). Access logging needs the role, but it is an account setting:
   * leave this off and place one `ApiGatewayCloudWatchRole` per account and region, or rely on the one
   * your landing zone sets. Without any, the first deployment fails with "CloudWatch Logs role ARN must be set".
   * @default false
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Create stack outputs: `Issuer`, `DiscoveryUrl`, `TableName` and one `ClientSecret-<clientId>` per
   * confidential client (each counts against the stack's 200 outputs).
   * @default true
   */
  readonly outputs?: boolean;
  /**
   * Rewrite the declared clients at every deployment, not only when they change in CDK: repairs clients
   * edited or deleted outside CDK (console, admin CLI). The sync's resource then updates at every deploy.
   * @default false
   */
  readonly syncClientsOnEveryDeploy?: boolean;
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
  /**
   * Upstream OpenID providers the login page offers, one button each (Entra ID, Google, Okta, Cognito, another
   * workspace). Register `federationCallbackUrl` (the `FederationCallbackUrl` output) as the redirect URI at each.
   * @default - none
   */
  readonly identitySources?: IdentitySourceProps[];
  /**
   * Whether the workspace's own users sign in with a username and password. Without, the login page offers the
   * identity sources only, and with exactly one it sends the browser straight there.
   * @default true
   */
  readonly builtInUsers?: boolean;
}

/** Lifetime props and the workspace setting each one overrides. */
const LIFETIMES = [
  { prop: 'authorizationCodeLifetime', setting: 'codeTtl', min: Duration.seconds(1), max: Duration.minutes(10) },
  { prop: 'accessTokenLifetime', setting: 'accessTokenTtl', min: Duration.minutes(1), max: Duration.hours(24) },
  { prop: 'idTokenLifetime', setting: 'idTokenTtl', min: Duration.minutes(1), max: Duration.hours(24) },
  { prop: 'sessionLifetime', setting: 'sessionTtl', min: Duration.minutes(1), max: Duration.days(30) },
  { prop: 'clientCacheLifetime', setting: 'clientCacheTtl', min: Duration.seconds(1), max: Duration.minutes(15) },
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
  { prop: 'builtInUsers', setting: 'builtInUsers' },
] as const satisfies readonly { prop: keyof AuthorizationServerProps; setting: keyof WorkspaceSettings }[];

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** A workspace's public face: what relying parties and resource servers need, in this app or another. */
export interface IAuthorizationServer extends IConstruct {
  /** `{base}/{tenantId}/{workspaceId}`; what tokens carry as `iss`. */
  readonly issuer: string;
  /** `{issuer}/.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  /** `{issuer}/.well-known/jwks.json`: the public keys tokens verify with. */
  readonly jwksUri: string;
}

/** Attributes of a workspace deployed elsewhere (another stack or app), for `AuthorizationServer.fromAttributes`. */
export interface AuthorizationServerAttributes {
  /** The workspace's issuer, e.g. `https://id.example.com/acme/customers`. */
  readonly issuer: string;
}

class ImportedAuthorizationServer extends Construct implements IAuthorizationServer {
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  constructor(scope: Construct, id: string, attrs: AuthorizationServerAttributes) {
    super(scope, id);
    this.issuer = attrs.issuer;
    this.discoveryUrl = `${attrs.issuer}/.well-known/openid-configuration`;
    this.jwksUri = `${attrs.issuer}/.well-known/jwks.json`;
  }
}

/** What `addClient` created. */
export interface ClientResources {
  readonly clientId: string;
  /** The generated secret of a confidential client (JSON: `clientId`, `clientSecret`). @default - none: a public or `private_key_jwt` client */
  readonly secret?: secretsmanager.ISecret;
}

/**
 * One workspace of a tenant: an OAuth 2.1 / OpenID Connect authorization server with its own issuer
 * (`{base}/{tenantId}/{workspaceId}`), KMS signing keys, DynamoDB table, clients and users.
 */
export class AuthorizationServer extends Construct implements IAuthorizationServer {
  /**
   * A workspace deployed elsewhere, by its issuer: a plain string, so referencing it creates no
   * cross-stack export that would later block replacing its API.
   */
  static fromAttributes(scope: Construct, id: string, attrs: AuthorizationServerAttributes): IAuthorizationServer {
    return withConstructPath(scope, () => {
      checkBaseUrl('issuer', attrs.issuer);
      return new ImportedAuthorizationServer(scope, id, { issuer: attrs.issuer.replace(/\/+$/, '') });
    });
  }

  readonly tenantId: string;
  readonly workspaceId: string;
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  /** The REST API serving the workspace (the construct's own, or `api`). */
  readonly api: apigw.IRestApi;
  /** The workspace's single table (on-demand, TTL, point-in-time recovery). Prefer the `grant*` methods to raw table grants. */
  readonly table: dynamodb.ITable;
  /** The key that signs (`activeSigningKey`). */
  readonly signingKey: kms.IKey;
  /** Every signing key by name; all of them are published in the JWKS. */
  readonly signingKeys: { [name: string]: kms.IKey };
  readonly signingAlgorithm: SigningAlgorithm;
  /** One function per handler module (`authorize`, `consent`, `token`, `jwks`, `discovery`, `userinfo`). */
  readonly functions: { [handler: string]: lambda.IFunction };
  /** The web ACL the construct created, unless `waf` is off or `webAclArn` is given. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** Secrets Manager secrets of the confidential clients, by client id. */
  readonly clientSecrets: { [clientId: string]: secretsmanager.ISecret };
  /** `{issuer}/federation/callback`: the one redirect URI to register at every identity source. */
  readonly federationCallbackUrl: string;
  /** Our client secrets at the identity sources, by source id (created, or the ones given). */
  readonly identitySourceSecrets: { [sourceId: string]: secretsmanager.ISecret };

  /** The workspace's alarms (5xx rate, throttles, KMS errors, replays, failed sign-ins); empty when turned off. */
  readonly alarms: cloudwatch.IAlarm[];

  private readonly clientSync: ClientSync;
  private readonly metrics: WorkspaceMetrics;
  private readonly outputs: boolean;

  constructor(scope: Construct, id: string, props: AuthorizationServerProps) {
    super(scope, id);
    const checked = withConstructPath(this, () => this.checkProps(props));
    const { keyNames, activeKeyName, baseUrl } = checked;
    this.metrics = withConstructPath(this, () => new WorkspaceMetrics({ ...props, options: props.monitoring }));
    this.tenantId = props.tenantId;
    this.workspaceId = props.workspaceId;
    this.outputs = props.outputs !== false;
    const label = `${props.tenantId}/${props.workspaceId}`;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Keys, secrets and log groups a failed first deployment created are removed by its rollback.
    const disposablePolicy =
      removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : removalPolicy;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    if (removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        'cdk-authorization-server:destroy',
        'removalPolicy DESTROY deletes the table and schedules the signing keys for deletion with the stack: users, clients and grants are lost.',
      );
    }

    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    this.table = table;

    this.signingAlgorithm = props.signingAlgorithm ?? SigningAlgorithm.RS256;
    const keyEntries: Record<string, SigningKeyEntry> = {};
    for (const name of keyNames) {
      const existing = props.existingSigningKeys?.[name];
      keyEntries[name] = existing
        ? { key: existing, owned: false }
        : { key: createSigningKey(this, name, this.signingAlgorithm, label, disposablePolicy), owned: true };
    }
    this.signingKeys = Object.fromEntries(keyNames.map((name) => [name, (keyEntries[name] as SigningKeyEntry).key]));
    const activeKey = keyEntries[activeKeyName] as SigningKeyEntry;
    this.signingKey = activeKey.key;

    const prefix = `/${props.tenantId}/${props.workspaceId}`;
    // Known before the API: with the construct's own API at a custom domain's root, the RFC 8414 route is served.
    const ownsHostRoot = this.ownsHostRoot(baseUrl ?? (props.domainName && `https://${props.domainName.domainName}`));
    const routes = workspaceRoutes(prefix, ownsHostRoot);
    const ownApi =
      props.api === undefined
        ? createWorkspaceApi(this, {
            restApiName: `authz-${props.tenantId}-${props.workspaceId}`,
            description: `OAuth 2.1 / OpenID Connect endpoints of workspace ${label}`,
            document: () => openApiDocument(this, `authz-${props.tenantId}-${props.workspaceId}`, routes),
            throttling: props.throttling ?? DEFAULT_THROTTLING,
            logRetention,
            removalPolicy: disposablePolicy,
            securityPolicy: props.securityPolicy ?? DEFAULT_SECURITY_POLICY,
            ...(props.domainName && { domainName: props.domainName }),
          })
        : undefined;
    this.api = props.api ?? (ownApi as apigw.SpecRestApi);
    // RestApi's own `Endpoint` output goes with the others.
    if (ownApi && props.outputs === false) ownApi.node.tryRemoveChild('Endpoint');
    const base = withConstructPath(this, () =>
      this.issuerBase(props.api, baseUrl ?? (props.domainName && `https://${props.domainName.domainName}`)),
    );
    this.issuer = `${base}${prefix}`;
    this.discoveryUrl = `${this.issuer}/.well-known/openid-configuration`;
    this.jwksUri = `${this.issuer}/.well-known/jwks.json`;
    this.federationCallbackUrl = `${this.issuer}/federation/callback`;

    const environment: Record<string, string> = {
      [ENV.tableName]: table.tableName,
      [ENV.tenantId]: props.tenantId,
      [ENV.workspaceId]: props.workspaceId,
      [ENV.issuer]: this.issuer,
      [ENV.signingAlg]: this.signingAlgorithm,
      [ENV.signingKeyIds]: keyNames.map((name) => (keyEntries[name] as SigningKeyEntry).key.keyArn).join(','),
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
    const sources = withConstructPath(
      this,
      () =>
        new IdentitySources(this, 'IdentitySources', {
          sources: props.identitySources ?? [],
          builtInUsers: props.builtInUsers,
          workspaceLabel: label,
          removalPolicy: disposablePolicy,
        }),
    );
    this.identitySourceSecrets = { ...sources.secrets };
    if (sources.environmentValue !== undefined) environment[ENV.identitySources] = sources.environmentValue;

    const functions = {} as Record<HandlerName, BundledFunction>;
    for (const name of handlerNames) {
      const access = handlerAccess[name];
      functions[name] = new BundledFunction(this, `${pascal(name)}Handler`, {
        asset: name,
        description: `${name} endpoints of workspace ${label}`,
        environment,
        memorySize: access.memorySize,
        logRetention,
        removalPolicy: disposablePolicy,
        statements:
          access.table.length > 0
            ? [new iam.PolicyStatement({ actions: [...access.table], resources: [table.tableArn] })]
            : [],
      });
    }
    this.functions = Object.fromEntries(handlerNames.map((name) => [name, functions[name].function]));
    // The pages' function is where sign-ins at the sources come back: it alone reads our secrets there.
    sources.grantRead(functions.consent.role);
    grantKeyAccess({
      keys: Object.values(keyEntries),
      active: activeKey,
      algorithm: this.signingAlgorithm,
      readers: handlerNames.filter((name) => handlerAccess[name].keys !== 'none').map((name) => functions[name].role),
      signer: functions[handlerNames.find((name) => handlerAccess[name].keys === 'sign') as HandlerName].role,
    });

    const fns = this.functions as Record<HandlerName, lambda.IFunction>;
    if (props.api) addRoutesToApi(this, props.api, routes, fns);
    if (ownApi) setFunctionVariables(ownApi, fns);
    permitInvocations(this.api, routes, prefix, fns);

    if (!props.api && props.waf !== false) {
      const stageArn = this.api.deploymentStage.stageArn;
      if (props.webAclArn !== undefined) {
        associateWebAcl(this, 'WebAclAssociation', stageArn, props.webAclArn);
      } else {
        const webAcl = new RateLimitedWebAcl(this, 'WebAcl', {
          metricPrefix: `authz-${props.tenantId}-${props.workspaceId}`,
          limits: { ...DEFAULT_WAF_LIMITS, ...definedOnly(props.wafRateLimits ?? {}) },
        });
        associateWebAcl(webAcl, 'Association', stageArn, webAcl.webAcl.attrArn);
        this.webAcl = webAcl.webAcl;
      }
    } else if (!props.api) {
      Annotations.of(this).addWarningV2(
        'cdk-authorization-server:no-waf',
        'waf is off: nothing rate-limits requests per source address before they reach the Lambdas.',
      );
    }
    if (!props.api && props.cloudWatchRole === true) ApiGatewayCloudWatchRole.of(this);

    this.alarms = new Operations(this, 'Operations', {
      metrics: this.metrics,
      api: this.api,
      ownsApi: !props.api,
      functions: Object.values(this.functions),
      options: props.monitoring,
    }).alarms;

    this.clientSync = new ClientSync(this, 'Clients', {
      table,
      workspaceLabel: label,
      removalPolicy: disposablePolicy,
      logRetention,
      syncOnEveryDeploy: props.syncClientsOnEveryDeploy === true,
    });
    this.clientSecrets = this.clientSync.secrets;
    (props.clients ?? []).forEach((client, i) => this.declareClient(`clients[${i}]`, client));

    if (this.outputs) {
      new CfnOutput(this, 'Issuer', { value: this.issuer, description: `Issuer of workspace ${label}` });
      new CfnOutput(this, 'DiscoveryUrl', {
        value: this.discoveryUrl,
        description: `OpenID discovery document of ${label}`,
      });
      new CfnOutput(this, 'TableName', {
        value: table.tableName,
        description: `DynamoDB table of ${label} (admin tooling)`,
      });
      new CfnOutput(this, 'FederationCallbackUrl', {
        value: this.federationCallbackUrl,
        description: `Redirect URI of ${label} to register at its identity sources`,
      });
      for (const [id, secret] of Object.entries(this.identitySourceSecrets)) {
        new CfnOutput(this, `IdentitySourceSecret-${id}`, {
          value: secret.secretArn,
          description: `Secrets Manager secret of ${label}'s client secret at identity source ${id} (field clientSecret)`,
        });
      }
    }
  }

  /** Milliseconds from request to response, of one endpoint or all. @default statistic p99, period 5 minutes */
  metricLatency(options?: EndpointMetricOptions): cloudwatch.Metric {
    return this.metrics.latency(options);
  }

  /** Requests served, of one endpoint or all. @default statistic SampleCount, period 5 minutes */
  metricRequests(options?: EndpointMetricOptions): cloudwatch.Metric {
    return this.metrics.requests(options);
  }

  /** Requests answered with OAuth error `errorCode` (e.g. `invalid_grant`, `server_error`). @default statistic Sum */
  metricErrors(errorCode: string, options?: EndpointMetricOptions): cloudwatch.Metric {
    return this.metrics.errors(errorCode, options);
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
    return apiMetric(this.api, '5XXError', { statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /** Adds a client to the workspace at deploy time, exactly like an entry of the `clients` prop. */
  addClient(registration: ClientRegistration): ClientResources {
    return this.declareClient(`addClient(${JSON.stringify(registration?.clientId)})`, registration);
  }

  /** Lets `grantee` read the generated secret of confidential client `clientId` (e.g. the client's own backend). */
  grantReadClientSecret(clientId: string, grantee: iam.IGrantable): iam.Grant {
    const secret = this.clientSecrets[clientId];
    if (!secret) {
      throw withConstructPath(this, () => {
        throw new PropError('clientId', `"${clientId}" is not a confidential client declared in this workspace.`);
      });
    }
    return secret.grantRead(grantee);
  }

  /**
   * Lets `grantee` (a provisioning function, say) read, create and update users: items keyed by user and
   * username only (`dynamodb:LeadingKeys`), never clients, grants, tokens or sessions, and no scans. Passwords
   * must be stored hashed exactly as the admin CLI does (lambdas/core/crypto.ts).
   */
  grantManageUsers(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${itemKeys.user('')}*`, `${itemKeys.username('')}*`] },
      },
    });
  }

  private declareClient(prop: string, registration: ClientRegistration): ClientResources {
    withConstructPath(this, () => {
      checkClient(prop, coreRegistration(registration));
      if (this.clientSync.has(registration.clientId)) {
        throw new PropError(`${prop}.clientId`, `"${registration.clientId}" is declared twice.`);
      }
    });
    const secret = this.clientSync.add(registrationOf(coreRegistration(registration)));
    if (secret && this.outputs) {
      new CfnOutput(this, `ClientSecret-${registration.clientId}`, {
        value: secret.secretArn,
        description: `Secrets Manager secret of client ${registration.clientId} (JSON: clientId, clientSecret)`,
      });
    }
    return secret ? { clientId: registration.clientId, secret } : { clientId: registration.clientId };
  }

  /** Checks every prop before anything is created; returns the key names, the active one and the base URL. */
  private checkProps(props: AuthorizationServerProps): {
    keyNames: string[];
    activeKeyName: string;
    baseUrl: string | undefined;
  } {
    checkId('tenantId', props.tenantId);
    checkId('workspaceId', props.workspaceId);
    for (const { prop, min, max } of LIFETIMES) checkDuration(prop, props[prop], min, max);
    for (const { prop } of FLAGS) checkBoolean(prop, props[prop]);
    for (const prop of ['waf', 'cloudWatchRole', 'outputs', 'syncClientsOnEveryDeploy', 'deletionProtection'] as const)
      checkBoolean(prop, props[prop]);
    checkOneOf('signingAlgorithm', props.signingAlgorithm, SIGNING_ALGORITHMS);
    for (const [limit, value] of Object.entries(props.wafRateLimits ?? {}))
      checkInteger(`wafRateLimits.${limit}`, value as number | undefined, 10, 2_000_000_000);
    checkInteger('throttling.rateLimit', props.throttling?.rateLimit, 1, 1_000_000);
    checkInteger('throttling.burstLimit', props.throttling?.burstLimit, 1, 1_000_000);
    checkPageOptions(props.branding, props.scopeDescriptions);
    const baseUrl = props.baseUrl === undefined ? undefined : checkBaseUrl('baseUrl', props.baseUrl);
    const keyNames = this.checkKeyNames(props);
    const activeKeyName = props.activeSigningKey ?? (keyNames[0] as string);
    if (!keyNames.includes(activeKeyName))
      throw new PropError('activeSigningKey', `"${activeKeyName}" is not one of the signing keys.`);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.SNAPSHOT)
      throw new PropError('removalPolicy', 'SNAPSHOT is not supported by DynamoDB tables or KMS keys.');
    if (removalPolicy === RemovalPolicy.DESTROY && props.deletionProtection === true) {
      throw new PropError(
        'deletionProtection',
        'cannot be true with removalPolicy DESTROY: deleting the stack would fail on the protected table.',
      );
    }
    if (props.api) {
      for (const prop of ['waf', 'throttling', 'domainName', 'securityPolicy', 'webAclArn', 'wafRateLimits'] as const) {
        if (props[prop] !== undefined && props[prop] !== false) {
          throw new PropError(
            prop,
            'applies only to the REST API the construct creates: the stage and domain of `api` are yours to configure.',
          );
        }
      }
      if (props.cloudWatchRole === true)
        throw new PropError('cloudWatchRole', 'applies only to the REST API the construct creates.');
      if (Stack.of(props.api) !== Stack.of(this)) {
        throw new PropError(
          'api',
          'must belong to the same stack: its methods and the functions they invoke reference each other.',
        );
      }
      if (props.api.root.getResource(props.tenantId)?.getResource(props.workspaceId)) {
        throw new PropError('workspaceId', `"${props.tenantId}/${props.workspaceId}" is already served by this api.`);
      }
    }
    if (props.waf === false && props.webAclArn !== undefined)
      throw new PropError('webAclArn', 'cannot be given with `waf: false`.');
    if (props.webAclArn !== undefined && props.wafRateLimits !== undefined)
      throw new PropError('wafRateLimits', 'apply to the web ACL the construct creates, not to `webAclArn`.');
    if (props.domainName && baseUrl !== undefined && !Token.isUnresolved(baseUrl)) {
      const expected = `https://${props.domainName.domainName}`;
      if (!Token.isUnresolved(props.domainName.domainName) && baseUrl !== expected)
        throw new PropError('baseUrl', `must be ${expected} with domainName, or left out.`);
    }
    return { keyNames, activeKeyName, baseUrl };
  }

  private checkKeyNames(props: AuthorizationServerProps): string[] {
    const existing = Object.keys(props.existingSigningKeys ?? {});
    const own = props.signingKeys ?? (existing.length > 0 ? [] : ['primary']);
    if (!Array.isArray(own)) throw new PropError('signingKeys', 'must be a list of key names.');
    const names = [...own, ...existing];
    if (names.length === 0) throw new PropError('signingKeys', 'must name at least one key.');
    if (names.length > MAX_SIGNING_KEYS) {
      throw new PropError(
        'signingKeys',
        `at most ${MAX_SIGNING_KEYS} keys with existingSigningKeys, got ${names.length}: rotation needs two.`,
      );
    }
    names.forEach((name, i) => {
      const prop = i < own.length ? `signingKeys[${i}]` : `existingSigningKeys.${name}`;
      if (typeof name !== 'string' || !KEY_NAME_PATTERN.test(name))
        throw new PropError(prop, `"${String(name)}" must be 1-32 letters or digits.`);
      if (names.indexOf(name) !== i) throw new PropError(prop, `"${name}" is listed twice.`);
    });
    return names;
  }

  /**
   * The issuer's base, built from parts known before the stage exists: the stage's own URL would make
   * the functions (whose environment holds the issuer) depend on the stage, which depends on them.
   */
  private issuerBase(api: apigw.IRestApi | undefined, baseUrl: string | undefined): string {
    if (baseUrl !== undefined) return baseUrl;
    let stageName = STAGE_NAME;
    if (api) {
      let declared: unknown;
      try {
        declared = (api.deploymentStage?.node.defaultChild as apigw.CfnStage | undefined)?.stageName;
      } catch {
        declared = undefined; // an imported API has no deployment stage
      }
      if (typeof declared !== 'string' || Token.isUnresolved(declared)) {
        throw new PropError('baseUrl', 'is required with an `api` whose stage name is not known at synth time.');
      }
      stageName = declared;
    }
    const stack = Stack.of(this.api);
    return `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stageName}`;
  }

  /** A base URL without a path means the deployment owns the host root. */
  private ownsHostRoot(baseUrl: string | undefined): boolean {
    return baseUrl !== undefined && !Token.isUnresolved(baseUrl) && new URL(baseUrl).pathname === '/';
  }
}

/** The entries of an options object that are set, so that spreading it over defaults keeps them. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

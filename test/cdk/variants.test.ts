// Props that change the shape of a workspace: algorithms, key rotation, lifetimes, custom domains, shared APIs.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AuthorizationServer, SigningAlgorithm } from '../../lib/index.js';
import { PATH_INSERTED_METADATA } from '../../lambdas/handlers/manifest.js';
import { backend, functionOf, keyPolicyOf, logicalId, routesOf, unbundledApp, workspaceStack } from './support.js';

const envOf = (template: Template, server: AuthorizationServer) =>
  template.toJSON().Resources[logicalId(functionOf(server, 'token'))].Properties.Environment.Variables as Record<
    string,
    unknown
  >;

describe('signing algorithm', () => {
  it.each<[SigningAlgorithm, string, string]>([
    [SigningAlgorithm.RS256, 'RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256'],
    [SigningAlgorithm.PS256, 'RSA_2048', 'RSASSA_PSS_SHA_256'],
    [SigningAlgorithm.ES256, 'ECC_NIST_P256', 'ECDSA_SHA_256'],
  ])('%s uses a %s key and may only sign with %s', (alg, keySpec, kmsAlgorithm) => {
    // WHEN
    const { server, template } = workspaceStack({ signingAlgorithm: alg });

    // THEN
    template.hasResourceProperties('AWS::KMS::Key', { KeySpec: keySpec, KeyUsage: 'SIGN_VERIFY' });
    expect(envOf(template, server).SIGNING_ALG).toBe(alg);
    const sign = keyPolicyOf(template, logicalId(server.signingKey as never)).SignAsTheTokenEndpoint;
    expect(sign?.Condition).toMatchObject({
      StringEquals: { 'kms:SigningAlgorithm': kmsAlgorithm, 'kms:MessageType': 'DIGEST' },
    });
  });
});

describe('key rotation', () => {
  it('publishes every key and signs with the active one', () => {
    // WHEN
    const { server, template } = workspaceStack({ signingKeys: ['k2024', 'k2025'], activeSigningKey: 'k2025' });

    // THEN
    template.resourceCountIs('AWS::KMS::Key', 2);
    const arn = (name: string) => ({ 'Fn::GetAtt': [logicalId(server.signingKeys[name] as never), 'Arn'] });
    expect(envOf(template, server)).toMatchObject({
      SIGNING_KEY_IDS: { 'Fn::Join': ['', [arn('k2024'), ',', arn('k2025')]] },
      ACTIVE_SIGNING_KEY_ID: arn('k2025'),
    });
    expect(server.signingKey).toBe(server.signingKeys.k2025);
  });

  it('keeps the first key active by default, so adding a key publishes it before it signs', () => {
    // WHEN
    const { server, template } = workspaceStack({ signingKeys: ['current', 'next'] });

    // THEN
    expect(server.signingKey).toBe(server.signingKeys.current);
    expect(envOf(template, server).ACTIVE_SIGNING_KEY_ID).toEqual({
      'Fn::GetAtt': [logicalId(server.signingKeys.current as never), 'Arn'],
    });
  });

  it('keeps the logical id of the default key when more keys are added', () => {
    // GIVEN
    const { server: before } = workspaceStack();

    // WHEN
    const { server: after } = workspaceStack({ signingKeys: ['primary', 'next'] });

    // THEN
    expect(logicalId(after.signingKeys.primary as never)).toBe(logicalId(before.signingKey));
  });
});

describe('lifetimes', () => {
  it('reach the functions as whole seconds', () => {
    // WHEN
    const { server, template } = workspaceStack({
      authorizationCodeLifetime: Duration.seconds(30),
      accessTokenLifetime: Duration.minutes(15),
      idTokenLifetime: Duration.minutes(10),
      sessionLifetime: Duration.hours(1),
      refreshTokenIdleLifetime: Duration.days(7),
      refreshTokenAbsoluteLifetime: Duration.days(90),
      clientCacheLifetime: Duration.seconds(10),
    });

    // THEN
    expect(envOf(template, server)).toMatchObject({
      CODE_TTL: '30',
      ACCESS_TOKEN_TTL: '900',
      ID_TOKEN_TTL: '600',
      SESSION_TTL: '3600',
      REFRESH_TOKEN_IDLE_TTL: '604800',
      REFRESH_TOKEN_ABSOLUTE_TTL: '7776000',
      CLIENT_CACHE_TTL: '10',
    });
  });
});

describe('pushed authorization requests', () => {
  it('are required of every client through a yes/no setting, unset by default', () => {
    // WHEN
    const required = workspaceStack({ requirePushedAuthorizationRequests: true });
    const optional = workspaceStack({});

    // THEN
    expect(envOf(required.template, required.server)).toMatchObject({ REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: 'true' });
    expect(envOf(optional.template, optional.server)).not.toHaveProperty('REQUIRE_PUSHED_AUTHORIZATION_REQUESTS');
  });
});

describe('custom domain', () => {
  const metadataRoute = `GET ${PATH_INSERTED_METADATA}/acme/customers`;

  it('at the host root: issuer on the domain and the RFC 8414 path-inserted route at the root', () => {
    // WHEN
    const { stack, server, template } = workspaceStack({ baseUrl: 'https://id.example.com/' });

    // THEN
    expect(stack.resolve(server.issuer)).toBe('https://id.example.com/acme/customers');
    expect(routesOf(template)[metadataRoute]).toBe(logicalId(functionOf(server, 'discovery')));
    expect(envOf(template, server).ISSUER).toBe('https://id.example.com/acme/customers');
  });

  it('under a path: no route at the host root, which the deployment does not own', () => {
    // WHEN
    const { stack, server, template } = workspaceStack({ baseUrl: 'https://example.com/auth' });

    // THEN
    expect(stack.resolve(server.issuer)).toBe('https://example.com/auth/acme/customers');
    expect(routesOf(template)[metadataRoute]).toBeUndefined();
  });
});

describe('removal policy and edge protection', () => {
  it('DESTROY deletes table and keys with the stack, without deletion protection, and warns', () => {
    // WHEN
    const { stack, template } = workspaceStack({ removalPolicy: RemovalPolicy.DESTROY });

    // THEN
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    Annotations.fromStack(stack).hasWarning('/Test/Workspace', Match.stringLikeRegexp('removalPolicy DESTROY'));
  });

  it('waf: false leaves the stage without a web ACL, and warns', () => {
    // WHEN
    const { stack, template } = workspaceStack({ waf: false });

    // THEN
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    Annotations.fromStack(stack).hasWarning('/Test/Workspace', Match.stringLikeRegexp('waf is off'));
  });

  it('takes rate limits and throttling from props, keeping the defaults of limits left out', () => {
    // WHEN
    const { template } = workspaceStack({
      wafRateLimits: { loginPostsPerAddress: 20, apiRequestsPerAddress: 90_000 },
      throttling: { rateLimit: 10, burstLimit: 20 },
    });

    // THEN
    const limits = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0]?.Properties.Rules.map((r: any) => [
      r.Name,
      r.Statement.RateBasedStatement.Limit,
    ]);
    expect(limits).toEqual([
      ['login-posts-per-address', 20],
      ['browser-requests-per-address', 1000],
      ['api-requests-per-credential', 6000],
      ['api-requests-per-address', 90000],
    ]);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })],
    });
  });

  it('associates a shared web ACL instead of creating one', () => {
    // WHEN
    const arn = 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/shared/abc';
    const { template, server } = workspaceStack({ webAclArn: arn });

    // THEN
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arn });
    expect(server.webAcl).toBeUndefined();
  });

  it('keeps what a failed first deployment created only where asked: RETAIN_ON_UPDATE_OR_DELETE for keys, secrets, logs', () => {
    // WHEN
    const { template } = workspaceStack({ clients: [backend] });

    // THEN
    const policies = (type: string) => [
      ...new Set(Object.values(template.findResources(type)).map((r) => r.DeletionPolicy)),
    ];
    expect(policies('AWS::KMS::Key')).toEqual(['RetainExceptOnCreate']);
    expect(policies('AWS::SecretsManager::Secret')).toEqual(['RetainExceptOnCreate']);
    expect(policies('AWS::Logs::LogGroup')).toEqual(['RetainExceptOnCreate']);
    // the table keeps deletion protection, which a rollback could not delete through, so it is always retained
    expect(policies('AWS::DynamoDB::Table')).toEqual(['Retain']);
  });
});

describe('several workspaces in one stack', () => {
  it('do not collide: each has its own API, table, key, functions and outputs', () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'Test');

    // WHEN
    const a = new AuthorizationServer(stack, 'Acme', { tenantId: 'acme', workspaceId: 'customers' });
    const b = new AuthorizationServer(stack, 'Globex', { tenantId: 'globex', workspaceId: 'customers' });
    const template = Template.fromStack(stack);

    // THEN
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.resourceCountIs('AWS::WAFv2::WebACL', 2);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    // one client-sync function and provider for the stack, one custom resource per workspace
    template.resourceCountIs('Custom::AuthorizationServerClients', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2 * 6 + 2);
    expect(logicalId(a.table)).not.toBe(logicalId(b.table));
    expect(Object.keys(template.toJSON().Outputs).filter((o) => /Issuer/.test(o))).toHaveLength(2);
    expect(Object.keys(routesOf(template)).filter((r) => r.includes(' /globex/customers/'))).toHaveLength(
      Object.keys(routesOf(template)).filter((r) => r.includes(' /acme/customers/')).length,
    );
    expect(stack.resolve(a.issuer)).not.toEqual(stack.resolve(b.issuer));
  });

  it("can share one REST API, whose stage stays the caller's", () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'Test');
    const api = new apigw.RestApi(stack, 'SharedApi', { deployOptions: { stageName: 'v1' }, cloudWatchRole: false });

    // WHEN
    const customers = new AuthorizationServer(stack, 'Customers', { tenantId: 'acme', workspaceId: 'customers', api });
    new AuthorizationServer(stack, 'Staff', { tenantId: 'acme', workspaceId: 'staff', api });
    const template = Template.fromStack(stack);

    // THEN
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const routes = Object.keys(routesOf(template));
    expect(routes).toContain('POST /acme/customers/oauth2/token');
    expect(routes).toContain('POST /acme/staff/oauth2/token');
    expect(JSON.stringify(stack.resolve(customers.issuer))).toContain('/v1/acme/customers');
    expect(customers.api).toBe(api);
  });

  it('refuse to serve the same workspace twice on one API', () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'Test');
    const api = new apigw.RestApi(stack, 'SharedApi', { cloudWatchRole: false });
    new AuthorizationServer(stack, 'First', { tenantId: 'acme', workspaceId: 'customers', api });

    // WHEN / THEN
    expect(() => new AuthorizationServer(stack, 'Second', { tenantId: 'acme', workspaceId: 'customers', api })).toThrow(
      /`workspaceId`.*already served/,
    );
  });
});

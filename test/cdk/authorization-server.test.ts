// The AuthorizationServer construct's template: routes, functions, data, keys, edge protection and outputs.
import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationServer, ClientAuthMethod } from '../../lib/index.js';
import { NODE_RUNTIME } from '../../lib/private/bundled-function.js';
import { handlerManifest, handlerNames } from '../../lambdas/handlers/manifest.js';
import { ENV } from '../../lambdas/handlers/environment-contract.js';
import { backend, findCycle, functionOf, logicalId, routesOf, spa, workspaceStack } from './support.js';

describe('AuthorizationServer with default props', () => {
  let stack: Stack;
  let server: AuthorizationServer;
  let template: Template;
  beforeAll(() => {
    ({ stack, server, template } = workspaceStack({ clients: [spa, backend] }));
  });

  it('creates one Lambda per handler module of the manifest: latest Node.js, arm64, ESM bundle', () => {
    // THEN
    expect(Object.keys(server.functions).sort()).toEqual([...handlerNames].sort());
    for (const name of handlerNames) {
      template.hasResource('AWS::Lambda::Function', {
        Properties: Match.objectLike({
          Runtime: NODE_RUNTIME.name,
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Description: `${name} endpoints of workspace acme/customers`,
        }),
      });
      expect(template.toJSON().Resources[logicalId(functionOf(server, name))]).toBeDefined();
    }
    expect(NODE_RUNTIME.name).toBe('nodejs24.x');
  });

  it('routes every manifest route under /{tenantId}/{workspaceId} to its handler, and nothing else', () => {
    // GIVEN
    const expected: Record<string, string> = {};
    for (const name of handlerNames) {
      for (const route of handlerManifest[name]) {
        const [method, path] = route.split(' ');
        expected[`${method} /acme/customers${path}`] = logicalId(functionOf(server, name));
      }
    }

    // THEN
    expect(routesOf(template)).toEqual(expected);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('serves the authorization endpoint by GET and POST from the authorize function', () => {
    // THEN
    const routes = routesOf(template);
    expect(routes['GET /acme/customers/oauth2/authorize']).toBe(logicalId(functionOf(server, 'authorize')));
    expect(routes['POST /acme/customers/oauth2/authorize']).toBe(logicalId(functionOf(server, 'authorize')));
  });

  it('serves revocation from the token function and introspection from the userinfo function', () => {
    // THEN
    const routes = routesOf(template);
    expect(routes['POST /acme/customers/oauth2/revoke']).toBe(logicalId(functionOf(server, 'token')));
    expect(routes['OPTIONS /acme/customers/oauth2/revoke']).toBe(logicalId(functionOf(server, 'token')));
    expect(routes['POST /acme/customers/oauth2/introspect']).toBe(logicalId(functionOf(server, 'userinfo')));
  });

  it("lets API Gateway invoke each function, once per function, from the workspace's own paths only", () => {
    // THEN
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(permissions).toHaveLength(handlerNames.length);
    const invoked = permissions.map((p) => p.Properties.FunctionName['Fn::GetAtt'][0]).sort();
    expect(invoked).toEqual(handlerNames.map((name) => logicalId(functionOf(server, name))).sort());
    for (const p of permissions) {
      expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(p.Properties.SourceArn['Fn::Join'][1]).toEqual(
        expect.arrayContaining([{ Ref: logicalId(server.api) }, '/*/*/acme/customers/*']),
      );
    }
  });

  it('describes the routes in the API body, the integrations naming the functions through stage variables', () => {
    // THEN
    template.resourceCountIs('AWS::ApiGateway::Resource', 0);
    template.resourceCountIs('AWS::ApiGateway::Method', 0);
    const body = template.toJSON().Resources[logicalId(server.api)].Properties.Body;
    expect(body.openapi).toBe('3.0.1');
    expect(body.paths['/acme/customers/oauth2/token'].post['x-amazon-apigateway-integration']).toMatchObject({
      type: 'aws_proxy',
      httpMethod: 'POST',
    });
    expect(JSON.stringify(body.paths['/acme/customers/oauth2/token'].post)).toContain(
      ':lambda:path/2015-03-31/functions/${stageVariables.tokenFunction}/invocations',
    );
    expect(JSON.stringify(body)).toContain('${stageVariables.tokenFunction}');
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      Variables: { tokenFunction: { 'Fn::GetAtt': [logicalId(functionOf(server, 'token')), 'Arn'] } },
    });
  });

  it('serves the execute-api endpoint with an enhanced TLS policy only', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09',
      EndpointAccessMode: 'STRICT',
    });
  });

  it('has no dependency cycle: the issuer is built from the API id, region and stage name, not the stage', () => {
    // THEN
    expect(findCycle(template)).toBeUndefined();
    const issuer = stack.resolve(server.issuer);
    expect(issuer).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: logicalId(server.api) },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/prod/acme/customers',
        ],
      ],
    });
  });

  it('describes the workspace to every function through the environment contract, and nothing else', () => {
    // GIVEN
    const keyArn = { 'Fn::GetAtt': [logicalId(server.signingKey), 'Arn'] };

    // THEN
    for (const name of handlerNames) {
      const fn = template.toJSON().Resources[logicalId(functionOf(server, name))];
      expect(fn.Properties.Environment.Variables).toEqual({
        [ENV.tableName]: { Ref: logicalId(server.table) },
        [ENV.tenantId]: 'acme',
        [ENV.workspaceId]: 'customers',
        [ENV.issuer]: stack.resolve(server.issuer),
        [ENV.signingAlg]: 'RS256',
        [ENV.signingKeyIds]: keyArn,
        [ENV.activeSigningKeyId]: keyArn,
      });
    }
  });

  it('creates one on-demand table keyed by pk with TTL, point-in-time recovery, deletion protection, retained', () => {
    // THEN
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('creates one retained RSA_2048 SIGN_VERIFY key for RS256, removed only if its first create is rolled back', () => {
    // THEN
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 30 }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    expect(server.signingAlgorithm).toBe('RS256');
  });

  it('logs every function to its own log group, kept a year, and gives roles no managed policies', () => {
    // GIVEN
    const resources = template.toJSON().Resources;

    // THEN
    for (const name of handlerNames) {
      const fn = resources[logicalId(functionOf(server, name))];
      expect(resources[fn.Properties.LoggingConfig.LogGroup.Ref]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'RetainExceptOnCreate',
      });
      expect(resources[fn.Properties.Role['Fn::GetAtt'][0]].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('logs access as JSON to a log group and throttles the stage', () => {
    // THEN
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkspaceAccessLogs'), 'Arn'] },
        Format: Match.serializedJson(Match.objectLike({ requestId: '$context.requestId', status: '$context.status' })),
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          DataTraceEnabled: false,
        }),
      ],
    });
    // The account-wide logging role is an account setting: not changed unless asked for.
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('associates a regional WAF web ACL with rate-based rules with the stage', () => {
    // GIVEN
    const rules = template.toJSON().Resources[stack.getLogicalId(server.webAcl as never)].Properties.Rules as any[];
    const byName: Record<string, any> = Object.fromEntries(rules.map((r) => [r.Name, r.Statement.RateBasedStatement]));
    const pathsIn = (statement: unknown): string[] =>
      [...JSON.stringify(statement).matchAll(/"SearchString":"(\/[^"]+)"/g)].map((m) => m[1] as string);

    // THEN
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(rules.map((r) => [r.Name, r.Action])).toEqual([
      ['login-posts-per-address', { Block: {} }],
      ['browser-requests-per-address', { Block: {} }],
      ['api-requests-per-credential', { Block: {} }],
      ['api-requests-per-address', { Block: {} }],
    ]);
    for (const rule of Object.values(byName)) expect(rule.EvaluationWindowSec).toBe(300);
    // the login path matched after normalisation, so /consent/ or //consent cannot slip past
    expect(byName['login-posts-per-address']).toMatchObject({ AggregateKeyType: 'IP', Limit: 100 });
    expect(JSON.stringify(byName['login-posts-per-address'].ScopeDownStatement)).toContain('"NORMALIZE_PATH"');
    // browser routes per address; everything else (servers behind one NAT) much higher, and per credential
    expect(byName['browser-requests-per-address']).toMatchObject({ AggregateKeyType: 'IP', Limit: 1000 });
    expect(pathsIn(byName['browser-requests-per-address'].ScopeDownStatement)).toEqual([
      '/oauth2/authorize',
      '/consent',
      '/oauth2/logout',
    ]);
    expect(byName['api-requests-per-address']).toMatchObject({ AggregateKeyType: 'IP', Limit: 30000 });
    expect(byName['api-requests-per-credential']).toMatchObject({
      AggregateKeyType: 'CUSTOM_KEYS',
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
      Limit: 6000,
    });
    for (const name of ['api-requests-per-address', 'api-requests-per-credential'])
      expect(byName[name].ScopeDownStatement.NotStatement.Statement).toEqual(
        byName['browser-requests-per-address'].ScopeDownStatement,
      );
    const stageId = logicalId(server.api.deploymentStage);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith([{ Ref: stageId }])] },
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkspaceWebAcl'), 'Arn'] },
    });
  });

  it('syncs the declared clients at deploy time; the confidential one gets a generated secret', () => {
    // THEN
    template.hasResourceProperties('Custom::AuthorizationServerClients', {
      TableName: { Ref: logicalId(server.table) },
      Clients: {
        'Fn::Join': [
          '',
          [
            Match.stringLikeRegexp('"clientId":"spa".*"clientId":"backend".*"secretArn":"$'),
            { Ref: logicalId(server.clientSecrets.backend as never) },
            '"}]',
          ],
        ],
      },
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Description: 'Client secret of backend in acme/customers',
        GenerateSecretString: {
          SecretStringTemplate: '{"clientId":"backend"}',
          GenerateStringKey: 'clientSecret',
          PasswordLength: 64,
          ExcludePunctuation: true,
          IncludeSpace: false,
        },
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    // CloudFormation gives up after five minutes, not an hour, if the sync never answers.
    template.hasResourceProperties('Custom::AuthorizationServerClients', { ServiceTimeout: '300' });
    expect(Object.keys(server.clientSecrets)).toEqual(['backend']);
  });

  it('adds clients through addClient to the same sync', () => {
    // WHEN
    const { server: withSpa, template: t } = workspaceStack({ clients: [spa] }, (s) => s.addClient(backend));

    // THEN
    t.resourceCountIs('Custom::AuthorizationServerClients', 1);
    t.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const clients = JSON.stringify(t.findResources('Custom::AuthorizationServerClients'));
    expect(clients).toContain('\\"clientId\\":\\"spa\\"');
    expect(clients).toContain('\\"clientId\\":\\"backend\\"');
    expect(Object.keys(withSpa.clientSecrets)).toEqual(['backend']);
  });

  it('syncs a private_key_jwt client with its public keys, and generates no secret for it', () => {
    // GIVEN
    const jwksUri = 'https://svc.example.com/.well-known/jwks.json';

    // WHEN
    const { server: withKeys, template: t } = workspaceStack({
      clients: [{ ...backend, clientId: 'svc', tokenEndpointAuthMethod: ClientAuthMethod.PRIVATE_KEY_JWT, jwksUri }],
    });

    // THEN
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(JSON.stringify(t.findResources('Custom::AuthorizationServerClients'))).toContain(
      `\\"jwksUri\\":\\"${jwksUri}\\"`,
    );
    expect(withKeys.clientSecrets).toEqual({});
  });

  it('outputs the issuer, the discovery URL, the table and the client secret ARNs', () => {
    // THEN
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const values = Object.values(outputs).map((o) => JSON.stringify(o.Value));
    expect(values).toContain(JSON.stringify(stack.resolve(server.issuer)));
    expect(values).toContain(JSON.stringify(stack.resolve(server.discoveryUrl)));
    expect(values).toContain(JSON.stringify({ Ref: logicalId(server.table) }));
    expect(values).toContain(JSON.stringify({ Ref: logicalId(server.clientSecrets.backend as never) }));
    expect(JSON.stringify(stack.resolve(server.discoveryUrl))).toContain(
      '/prod/acme/customers/.well-known/openid-configuration',
    );
  });
});

// Deploy-time behaviour synth cannot show by itself: account settings, stack size, client lifecycle, domains.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ApiGatewayCloudWatchRole, AuthorizationServer, type ClientResources } from '../../lib/index.js';
import { SECRET_GENERATION } from '../../lib/private/client-sync.js';
import { PATH_INSERTED_METADATA } from '../../lambdas/handlers/manifest.js';
import {
  backend,
  baseProps,
  logicalId,
  routesOf,
  spa,
  statementsOfRole,
  unbundledApp,
  workspaceStack,
} from './support.js';

describe('ApiGatewayCloudWatchRole', () => {
  it('sets the account logging role after a REST API exists, before any stage, and retains both', () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'Test');

    // WHEN: placed after the workspace, as an app may do
    const server = new AuthorizationServer(stack, 'Workspace', baseProps);
    const logging = new ApiGatewayCloudWatchRole(stack, 'ApiGatewayLogging');
    const template = Template.fromStack(stack);

    // THEN
    const accountId = stack.getLogicalId(logging.account);
    template.hasResource('AWS::ApiGateway::Account', {
      DependsOn: [logicalId(server.api)],
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::IAM::Role', {
      Properties: Match.objectLike({ Description: 'Lets API Gateway write access logs (account-wide setting)' }),
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([accountId]) });
  });

  it('is created by the construct only when asked, once per stack', () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'Test');

    // WHEN
    new AuthorizationServer(stack, 'A', { ...baseProps, cloudWatchRole: true });
    new AuthorizationServer(stack, 'B', { ...baseProps, workspaceId: 'staff', cloudWatchRole: true });
    new AuthorizationServer(stack, 'C', { ...baseProps, workspaceId: 'other' });

    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::ApiGateway::Account', 1);
    expect(workspaceStack().template.findResources('AWS::ApiGateway::Account')).toEqual({});
  });
});

describe('stack size', () => {
  it('fits 12 workspaces with a confidential client each in one stack, under the 500-resource limit', () => {
    // GIVEN
    const count = (workspaces: number): number => {
      const stack = new Stack(unbundledApp(), 'Test');
      for (let i = 0; i < workspaces; i++)
        new AuthorizationServer(stack, `W${i}`, { tenantId: 'acme', workspaceId: `w${i}`, clients: [backend, spa] });
      return Object.keys(Template.fromStack(stack).toJSON().Resources).length;
    };

    // WHEN
    const one = count(1);
    const twelve = count(12);
    const perWorkspace = (twelve - one) / 11;

    // THEN
    console.info('resources', {
      oneWorkspace: one,
      twelveWorkspaces: twelve,
      perWorkspace,
      sharedPerStack: one - perWorkspace,
    });
    expect(twelve).toBeLessThan(500);
    // 33 resources, 1 secret per confidential client and 5 alarms (monitoring on by default).
    expect(perWorkspace).toBeLessThanOrEqual(39);
  });
});

describe('client lifecycle', () => {
  it('freezes the secret generation settings: a change would regenerate every client secret on the next deploy', () => {
    expect(SECRET_GENERATION).toEqual({ passwordLength: 64, excludePunctuation: true, includeSpace: false });
  });

  it('rewrites the declared clients at every deployment when asked, repairing changes made outside CDK', () => {
    // WHEN
    const props = (t: Template) =>
      Object.values(t.findResources('Custom::AuthorizationServerClients'))[0]?.Properties as Record<string, unknown>;
    const usual = props(workspaceStack({ clients: [spa] }).template);
    const repairing = props(workspaceStack({ clients: [spa], syncClientsOnEveryDeploy: true }).template);

    // THEN
    expect(usual.DeployedAt).toBeUndefined();
    expect(new Date(repairing.DeployedAt as string).toISOString()).toBe(repairing.DeployedAt);
  });

  it('addClient returns what it created, and grants reading a client secret', () => {
    // GIVEN
    const created: Record<string, ClientResources> = {};
    let reader: iam.Role | undefined;

    // WHEN
    const { stack, server, template } = workspaceStack({}, (s) => {
      created.backend = s.addClient(backend);
      created.spa = s.addClient(spa);
      reader = new iam.Role(Stack.of(s), 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
      s.grantReadClientSecret('backend', reader);
    });

    // THEN
    expect(created.backend?.secret).toBe(server.clientSecrets.backend);
    expect(created.spa).toEqual({ clientId: 'spa' });
    expect(statementsOfRole(template, stack.getLogicalId(reader?.node.defaultChild as never))).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: logicalId(created.backend?.secret as never) },
      },
    ]);
    expect(() => server.grantReadClientSecret('spa', reader as iam.Role)).toThrow(
      /`clientId`.*not a confidential client/,
    );
  });

  it('grants managing users on user and username items only, with no scan', () => {
    // WHEN
    let provisioner: iam.Role | undefined;
    const { stack, server, template } = workspaceStack({}, (s) => {
      provisioner = new iam.Role(Stack.of(s), 'Provisioner', { assumedBy: new iam.AccountRootPrincipal() });
      s.grantManageUsers(provisioner);
    });

    // THEN
    expect(statementsOfRole(template, stack.getLogicalId(provisioner?.node.defaultChild as never))).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
        Resource: { 'Fn::GetAtt': [logicalId(server.table), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USER#*', 'USERNAME#*'] } },
      },
    ]);
  });
});

describe('outputs and references', () => {
  it('creates no outputs when turned off', () => {
    const { template } = workspaceStack({ outputs: false, clients: [backend] });
    expect(template.toJSON().Outputs ?? {}).toEqual({});
  });

  it('references a workspace of another app by its issuer alone', () => {
    // WHEN
    const stack = new Stack(unbundledApp(), 'Consumer');
    const server = AuthorizationServer.fromAttributes(stack, 'Auth', {
      issuer: 'https://id.example.com/acme/customers/',
    });

    // THEN
    expect(server.issuer).toBe('https://id.example.com/acme/customers');
    expect(server.discoveryUrl).toBe('https://id.example.com/acme/customers/.well-known/openid-configuration');
    expect(server.jwksUri).toBe('https://id.example.com/acme/customers/.well-known/jwks.json');
    expect(() => AuthorizationServer.fromAttributes(stack, 'Bad', { issuer: 'http://id.example.com/x' })).toThrow(
      '`issuer`',
    );
  });
});

describe('custom domain', () => {
  it('maps the API at the root of the domain with the enhanced TLS policy and disables the execute-api endpoint', () => {
    // GIVEN
    const { server, template } = workspaceStack();
    const app = unbundledApp();
    const domainStack = new Stack(app, 'Domain');
    const certificate = acm.Certificate.fromCertificateArn(
      domainStack,
      'Cert',
      'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
    );

    // WHEN
    const withDomain = new AuthorizationServer(domainStack, 'Workspace', {
      ...baseProps,
      domainName: { domainName: 'id.example.com', certificate },
    });
    const t = Template.fromStack(domainStack);

    // THEN
    expect(domainStack.resolve(withDomain.issuer)).toBe('https://id.example.com/acme/customers');
    t.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'id.example.com',
      RegionalCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09',
      EndpointAccessMode: 'STRICT',
    });
    t.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { DomainName: Match.anyValue() });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    expect(routesOf(t)[`GET ${PATH_INSERTED_METADATA}/acme/customers`]).toBeDefined();
    // without a domain the execute-api endpoint is the issuer's host
    expect(template.toJSON().Resources[logicalId(server.api)].Properties.DisableExecuteApiEndpoint).toBe(false);
  });

  it('accepts an existing REST API by its interface', () => {
    // GIVEN
    const stack = new Stack(unbundledApp(), 'Test');
    const api: apigw.IRestApi = new apigw.RestApi(stack, 'Shared', { cloudWatchRole: false });

    // WHEN
    const server = new AuthorizationServer(stack, 'Workspace', { ...baseProps, api });

    // THEN
    expect(server.api).toBe(api);
    expect(Object.keys(routesOf(Template.fromStack(stack)))).toContain('POST /acme/customers/oauth2/token');
  });
});

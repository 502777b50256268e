// Helpers of the CDK tests: stacks without bundling, and reading routes and policies out of a template.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import {
  AuthorizationServer,
  type AuthorizationServerProps,
  ClientAuthMethod,
  type ClientRegistration,
  GrantType,
} from '../../lib/index.js';

export const spa: ClientRegistration = {
  clientId: 'spa',
  clientName: 'Single-page app',
  tokenEndpointAuthMethod: ClientAuthMethod.NONE,
  redirectUris: ['https://app.example.com/callback'],
  grantTypes: [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN],
  scopes: ['openid', 'profile', 'offline_access'],
  audience: ['https://api.example.com'],
  firstParty: true,
};

export const backend: ClientRegistration = {
  clientId: 'backend',
  tokenEndpointAuthMethod: ClientAuthMethod.CLIENT_SECRET_BASIC,
  redirectUris: [],
  grantTypes: [GrantType.CLIENT_CREDENTIALS],
  scopes: ['orders:read'],
};

export const baseProps: AuthorizationServerProps = { tenantId: 'acme', workspaceId: 'customers' };

/**
 * An app that skips asset bundling, the copying of the prebuilt bundles into its assembly and the built-in
 * CloudFormation schema validation (seconds per synth): these tests look at the template; the example-app
 * test synthesizes everything the way `cdk synth` does.
 */
export const unbundledApp = (): App =>
  new App({
    context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true },
    builtinCloudFormationValidation: false,
  });

/** One workspace in a stack of its own; `configure` runs before synthesis (e.g. to call `addClient`). */
export function workspaceStack(
  props: Partial<AuthorizationServerProps> = {},
  configure: (server: AuthorizationServer) => void = () => {},
): { stack: Stack; server: AuthorizationServer; template: Template } {
  const stack = new Stack(unbundledApp(), 'Test');
  const server = new AuthorizationServer(stack, 'Workspace', { ...baseProps, ...props });
  configure(server);
  return { stack, server, template: Template.fromStack(stack) };
}

export const logicalId = (construct: IConstruct): string =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DependsOn?: string[] }>;

const resourcesOf = (template: Template): Resources => template.toJSON().Resources as Resources;

/**
 * `METHOD /full/path` → logical id of the Lambda function its integration invokes: from the OpenAPI body of
 * the construct's own API (through the stage variables its integrations name) and from the methods of a shared API.
 */
export function routesOf(template: Template): Record<string, string> {
  const resources = resourcesOf(template);
  const pathOf = (id: string | undefined): string => {
    const res = id ? resources[id] : undefined;
    if (!res || res.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = res.Properties?.ParentId?.Ref as string | undefined;
    return `${pathOf(parent)}/${res.Properties?.PathPart}`;
  };
  const functionIn = (value: unknown): string =>
    JSON.stringify(value).match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/)?.[1] ?? '';
  const routes: Record<string, string> = {};
  for (const res of Object.values(resources)) {
    if (res.Type !== 'AWS::ApiGateway::Method') continue;
    routes[`${res.Properties?.HttpMethod} ${pathOf(res.Properties?.ResourceId?.Ref)}`] = functionIn(
      res.Properties?.Integration?.Uri,
    );
  }
  for (const [apiId, api] of Object.entries(resources)) {
    if (api.Type !== 'AWS::ApiGateway::RestApi' || !api.Properties?.Body) continue;
    const stage = Object.values(resources).find(
      (r) => r.Type === 'AWS::ApiGateway::Stage' && r.Properties?.RestApiId?.Ref === apiId,
    );
    const variables = (stage?.Properties?.Variables ?? {}) as Record<string, unknown>;
    const paths = api.Properties.Body.paths as Record<string, Record<string, any>>;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const variable = JSON.stringify(operation['x-amazon-apigateway-integration'].uri).match(
          /\$\{stageVariables\.(\w+)\}/,
        )?.[1];
        routes[`${method.toUpperCase()} ${path}`] = functionIn(variables[variable ?? '']);
      }
    }
  }
  return routes;
}

/** A workspace's function by handler name (the public map is keyed by plain strings). */
export function functionOf(server: AuthorizationServer, name: string): lambda.IFunction {
  const fn = server.functions[name];
  if (!fn) throw new Error(`no function ${name}`);
  return fn;
}

/** The role of a workspace's function. */
export const roleOf = (server: AuthorizationServer, name: string): iam.IRole =>
  functionOf(server, name).role as iam.IRole;

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement a role's identity policies hold: its own inline policies and the policies attached to it. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  const resources = resourcesOf(template);
  const inline = (
    (resources[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties?.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** The statements of a KMS key's key policy, by Sid (the CDK default administration statement has none). */
export function keyPolicyOf(template: Template, keyId: string): Record<string, Statement> {
  const statements = resourcesOf(template)[keyId]?.Properties?.KeyPolicy.Statement as (Statement & { Sid?: string })[];
  return Object.fromEntries(statements.map((s) => [s.Sid ?? 'Administration', s]));
}

export const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

/** Logical ids a resource refers to (Ref, Fn::GetAtt, DependsOn). */
function referencesOf(resource: Resources[string]): Set<string> {
  const refs = new Set<string>(resource.DependsOn ?? []);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (k === 'Ref' && typeof inner === 'string') refs.add(inner);
        else if (k === 'Fn::GetAtt' && Array.isArray(inner)) refs.add(String(inner[0]));
        else walk(inner);
      }
    }
  };
  walk(resource.Properties);
  return refs;
}

/** A dependency cycle among the template's resources, if any (CloudFormation would refuse the template). */
export function findCycle(template: Template): string[] | undefined {
  const resources = resourcesOf(template);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done' || !resources[id]) return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const ref of referencesOf(resources[id])) {
      const cycle = visit(ref);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(resources)) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

// Each function's IAM policy is exactly what its endpoint needs: asserted statement by statement.
import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServer } from '../../lib/index.js';
import { type HandlerName, handlerNames } from '../../lambdas/handlers/manifest.js';
import { actionsOf, backend, logicalId, type Statement, statementsOfRole, spa, workspaceStack } from './support.js';

describe('least privilege', () => {
  let stack: Stack;
  let server: AuthorizationServer;
  let template: Template;
  beforeAll(() => {
    ({ stack, server, template } = workspaceStack({
      clients: [spa, backend],
      signingKeys: ['old', 'current'],
      activeSigningKey: 'current',
    }));
  });

  const table = () => ({ 'Fn::GetAtt': [logicalId(server.table), 'Arn'] });
  const key = (name: string) => ({ 'Fn::GetAtt': [logicalId(server.signingKeys[name] as never), 'Arn'] });
  const roleOf = (name: HandlerName) => logicalId(server.functions[name].role as never);
  /** Everything but the statement that lets the function write its own log group. */
  const grantsOf = (roleId: string): Statement[] =>
    statementsOfRole(template, roleId).filter((s) => !actionsOf([s]).every((a) => a.startsWith('logs:')));
  const tableStatement = (...actions: string[]) => ({
    Effect: 'Allow',
    Action: actions.length === 1 ? actions[0] : actions,
    Resource: table(),
  });

  it('grants each endpoint exactly the table actions and key operations it uses', () => {
    // GIVEN
    const expected: Record<HandlerName, unknown[]> = {
      authorize: [
        tableStatement('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
        { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: [key('old'), key('current')] },
      ],
      consent: [
        tableStatement('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'),
        { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: [key('old'), key('current')] },
      ],
      token: [
        tableStatement('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'),
        { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: [key('old'), key('current')] },
        {
          Effect: 'Allow',
          Action: 'kms:Sign',
          Resource: key('current'),
          Condition: {
            StringEquals: { 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256', 'kms:MessageType': 'DIGEST' },
          },
        },
      ],
      jwks: [{ Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: [key('old'), key('current')] }],
      discovery: [],
      userinfo: [
        tableStatement('dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'),
        { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: [key('old'), key('current')] },
      ],
    };

    // THEN
    expect(Object.keys(expected).sort()).toEqual([...handlerNames].sort());
    for (const name of handlerNames)
      expect({ name, grants: grantsOf(roleOf(name)) }).toEqual({ name, grants: expected[name] });
  });

  it('lets each function write only to its own log group', () => {
    for (const name of handlerNames) {
      const fn = template.toJSON().Resources[logicalId(server.functions[name])];
      const logs = statementsOfRole(template, roleOf(name)).filter((s) =>
        actionsOf([s]).every((a) => a.startsWith('logs:')),
      );
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] },
        },
      ]);
    }
  });

  it('keeps the JWKS function away from the table and from kms:Sign', () => {
    // THEN
    const actions = actionsOf(statementsOfRole(template, roleOf('jwks')));
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(actions).not.toContain('kms:Sign');
    expect(actions).toContain('kms:GetPublicKey');
  });

  it('lets no role but the token endpoint sign', () => {
    // GIVEN
    const policies = template.findResources('AWS::IAM::Policy');

    // THEN
    const signers = Object.values(policies)
      .filter((p) => actionsOf(p.Properties.PolicyDocument.Statement).some((a) => a === 'kms:Sign' || a === 'kms:*'))
      .map((p) => p.Properties.Roles);
    expect(signers).toEqual([[{ Ref: roleOf('token') }]]);
  });

  it('lets the client sync write clients and read only the secrets of its clients', () => {
    // GIVEN
    const syncRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) =>
      id.startsWith('WorkspaceClientsHandlerRole'),
    )?.[0];

    // THEN
    expect(grantsOf(syncRole as string)).toEqual([
      tableStatement('dynamodb:PutItem', 'dynamodb:DeleteItem'),
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: logicalId(server.clientSecrets.backend as never) },
      },
    ]);
  });

  it('uses no wildcard action or resource, except the invoke-any-version grant the Provider framework writes', () => {
    // GIVEN
    const wildcards: string[] = [];
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Statement[]) {
        for (const a of actionsOf([s])) if (a.includes('*')) wildcards.push(`${id} action ${a}`);
        const resources = JSON.stringify(stack.resolve(s.Resource));
        if (resources.includes('*')) wildcards.push(`${id} ${actionsOf([s]).join(',')} ${resources}`);
      }
    }

    // THEN
    expect(wildcards).toHaveLength(1);
    expect(wildcards[0]).toMatch(
      /^WorkspaceClientsProviderRoleDefaultPolicy\w+ lambda:InvokeFunction .*WorkspaceClientsHandlerFunction\w+","Arn"\]},":\*"\]/,
    );
  });
});

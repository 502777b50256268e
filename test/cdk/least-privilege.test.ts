// Each function's IAM policy is exactly what its endpoint needs: asserted statement by statement.
import type { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServer } from '../../lib/index.js';
import { type HandlerName, handlerNames } from '../../lambdas/handlers/manifest.js';
import {
  actionsOf,
  backend,
  functionOf,
  keyPolicyOf,
  logicalId,
  roleOf as roleOfServer,
  type Statement,
  statementsOfRole,
  spa,
  workspaceStack,
} from './support.js';

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
  const roleOf = (name: HandlerName) => logicalId(roleOfServer(server, name) as never);
  /** Everything but the statement that lets the function write its own log group. */
  const grantsOf = (roleId: string): Statement[] =>
    statementsOfRole(template, roleId).filter((s) => !actionsOf([s]).every((a) => a.startsWith('logs:')));
  const tableStatement = (...actions: string[]) => ({
    Effect: 'Allow',
    Action: actions.length === 1 ? actions[0] : actions,
    Resource: table(),
  });

  it('grants each endpoint exactly the table actions it uses, inline in its role', () => {
    // GIVEN
    const expected: Record<HandlerName, unknown[]> = {
      authorize: [
        tableStatement('dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
      ],
      consent: [
        tableStatement(
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ),
      ],
      token: [
        tableStatement('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'),
      ],
      jwks: [],
      discovery: [],
      userinfo: [tableStatement('dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem')],
    };

    // THEN
    expect(Object.keys(expected).sort()).toEqual([...handlerNames].sort());
    for (const name of handlerNames)
      expect({ name, grants: grantsOf(roleOf(name)) }).toEqual({ name, grants: expected[name] });
    // No separate policy resources: a function can never start before its permissions exist.
    expect(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleOf('token') }] } })).toEqual(
      {},
    );
  });

  it('grants key use in the key policy: public keys to the verifying roles, signing to the token role alone', () => {
    // GIVEN
    const arnOf = (name: HandlerName) => ({ 'Fn::GetAtt': [roleOf(name), 'Arn'] });
    const readers = (['authorize', 'consent', 'token', 'jwks', 'userinfo'] as const).map(arnOf);
    const current = keyPolicyOf(template, logicalId(server.signingKeys.current as never));
    const old = keyPolicyOf(template, logicalId(server.signingKeys.old as never));

    // THEN
    for (const policy of [current, old]) {
      // administration stays with the account, so there is no lock-out
      expect(policy.Administration).toMatchObject({ Effect: 'Allow', Action: 'kms:*' });
      expect(policy.PublicKeyForTheWorkspaceFunctions).toEqual({
        Sid: 'PublicKeyForTheWorkspaceFunctions',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'kms:GetPublicKey',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': readers } },
      });
      // an administrator or CI role with kms:* on * cannot mint tokens
      expect(policy.NoOneElseSigns).toEqual({
        Sid: 'NoOneElseSigns',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': arnOf('token') } },
      });
    }
    expect(current.SignAsTheTokenEndpoint).toEqual({
      Sid: 'SignAsTheTokenEndpoint',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256', 'kms:MessageType': 'DIGEST' },
        ArnEquals: { 'aws:PrincipalArn': arnOf('token') },
      },
    });
    // the inactive key publishes but signs for no one
    expect(old.SignAsTheTokenEndpoint).toBeUndefined();
    expect(Object.keys(old).sort()).toEqual(['Administration', 'NoOneElseSigns', 'PublicKeyForTheWorkspaceFunctions']);
  });

  it('lets each function write only to its own log group', () => {
    for (const name of handlerNames) {
      const fn = template.toJSON().Resources[logicalId(functionOf(server, name))];
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

  it('keeps the JWKS and discovery functions away from the table, and every role but the token one from kms:Sign', () => {
    // THEN
    for (const name of ['jwks', 'discovery'] as const)
      expect(actionsOf(statementsOfRole(template, roleOf(name))).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    const roles = Object.keys(template.findResources('AWS::IAM::Role'));
    for (const role of roles)
      expect(actionsOf(statementsOfRole(template, role)).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });

  it('signs with a key passed in through an identity policy, since its key policy is its owner', () => {
    // GIVEN
    const withExisting = workspaceStack({}, () => {});
    const { template: t, server: s } = workspaceStack({
      existingSigningKeys: {
        managed: kms.Key.fromKeyArn(withExisting.stack, 'Managed', 'arn:aws:kms:eu-west-1:111111111111:key/abc'),
      },
    });

    // THEN
    t.resourceCountIs('AWS::KMS::Key', 0);
    const sign = statementsOfRole(t, logicalId(roleOfServer(s, 'token') as never)).find((x) => x.Action === 'kms:Sign');
    expect(sign).toMatchObject({
      Resource: 'arn:aws:kms:eu-west-1:111111111111:key/abc',
      Condition: { StringEquals: { 'kms:MessageType': 'DIGEST' } },
    });
    expect(Object.keys(s.signingKeys)).toEqual(['managed']);
  });

  it('lets the client sync write clients and read only the secrets of its clients', () => {
    // GIVEN
    const syncRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) =>
      id.startsWith('AuthorizationServerClientSyncHandlerRole'),
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
    for (const id of Object.keys(template.findResources('AWS::IAM::Role'))) {
      for (const s of statementsOfRole(template, id)) {
        for (const a of actionsOf([s])) if (a.includes('*')) wildcards.push(`${id} action ${a}`);
        const resources = JSON.stringify(stack.resolve(s.Resource));
        if (resources.includes('*')) wildcards.push(`${id} ${actionsOf([s]).join(',')} ${resources}`);
      }
    }

    // THEN
    expect(wildcards).toHaveLength(1);
    expect(wildcards[0]).toMatch(
      /^AuthorizationServerClientSyncProviderRole\w+ lambda:InvokeFunction .*AuthorizationServerClientSyncHandlerFunction\w+","Arn"\]},":\*"\]/,
    );
  });
});

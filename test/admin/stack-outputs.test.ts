// Finding a workspace's table in a stack's outputs: the convention the CDK construct's outputs follow.
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, it } from 'vitest';
import { AdminError } from '../../lambdas/admin/errors.js';
import { findTableName, tableNameFromOutputs } from '../../lambdas/admin/stack-outputs.js';

const acme: Output = {
  OutputKey: 'AcmeMainTableName1A2B3C4D',
  OutputValue: 'acme-table',
  Description: 'DynamoDB table of workspace acme/main',
};
const acmeEu: Output = {
  OutputKey: 'AcmeMainEuTableNameE5F6A7B8',
  OutputValue: 'acme-eu-table',
  Description: 'DynamoDB table of workspace acme/main-eu',
};
const issuer: Output = {
  OutputKey: 'AcmeMainIssuer9C0D1E2F',
  OutputValue: 'https://auth.example.com/acme/main',
  Description: 'Issuer of acme/main',
};

it('takes the only table output, with or without a matching --workspace', () => {
  expect(tableNameFromOutputs('Auth', [issuer, acme])).toBe('acme-table');
  expect(tableNameFromOutputs('Auth', [issuer, acme], 'acme/main')).toBe('acme-table');
});

it('picks a workspace among several by whole-word mention in the description', () => {
  expect(tableNameFromOutputs('Auth', [acmeEu, acme, issuer], 'acme/main')).toBe('acme-table');
  expect(tableNameFromOutputs('Auth', [acmeEu, acme, issuer], 'acme/main-eu')).toBe('acme-eu-table');
});

it('explains what it found when the stack has no table, several without --workspace, or none of that workspace', () => {
  expect(() => tableNameFromOutputs('Auth', [issuer])).toThrow(
    new AdminError(
      'Stack Auth has no output whose key contains "TableName", so it holds no workspace this tool knows of; name the table with --table instead.',
    ),
  );
  expect(() => tableNameFromOutputs('Auth', [acme, acmeEu])).toThrow(
    'Stack Auth has 2 workspace tables; choose one with --workspace TENANT/WORKSPACE:\n' +
      '  AcmeMainTableName1A2B3C4D: DynamoDB table of workspace acme/main\n' +
      '  AcmeMainEuTableNameE5F6A7B8: DynamoDB table of workspace acme/main-eu',
  );
  // A single workspace that is not the one asked for is refused too: the command was meant for another.
  expect(() => tableNameFromOutputs('Auth', [acme], 'beta/main')).toThrow(
    /^No table output of stack Auth describes workspace beta\/main/,
  );
  expect(() => tableNameFromOutputs('Auth', [acme, { ...acme, OutputKey: 'OtherTableName' }], 'acme/main')).toThrow(
    /^Several table outputs of stack Auth describe workspace acme\/main/,
  );
});

it('reads the outputs of the named stack', async () => {
  const cfn = new CloudFormationClient({ region: 'eu-west-1' });
  const mock = mockClient(cfn);
  mock.on(DescribeStacksCommand, { StackName: 'Auth' }).resolves({
    Stacks: [
      { StackName: 'Auth', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [issuer, acme, acmeEu] },
    ],
  });

  expect(await findTableName(cfn, 'Auth', 'acme/main-eu')).toBe('acme-eu-table');
});

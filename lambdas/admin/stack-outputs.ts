// Finds a workspace's table among a CloudFormation stack's outputs, by the convention the construct's outputs follow.
import { type CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { AdminError } from './errors.js';

/**
 * The convention, also stated in the CLI's help: every workspace has an output whose key contains
 * `TableName`, whose value is its table's name and whose description names the workspace as
 * `tenant/workspace` (e.g. "DynamoDB table of workspace acme/main").
 */
export const TABLE_OUTPUT_KEY_PART = 'TableName';

/** Ids are lower-case letters, digits and hyphens: anything else around `tenant/workspace` delimits the mention. */
const NOT_ID_CHARS = /[^a-z0-9/-]+/;

export async function findTableName(cfn: CloudFormationClient, stackName: string, workspace?: string): Promise<string> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  return tableNameFromOutputs(stackName, Stacks?.[0]?.Outputs ?? [], workspace);
}

/**
 * The one table output of the stack, or of `workspace` when given. With several workspaces in the stack
 * `workspace` is required; when given it must match, even with a single workspace, so a command meant for
 * one workspace never runs against another.
 */
export function tableNameFromOutputs(stackName: string, outputs: readonly Output[], workspace?: string): string {
  const tables = outputs.filter((o) => o.OutputKey?.includes(TABLE_OUTPUT_KEY_PART) && o.OutputValue);
  if (tables.length === 0) {
    throw new AdminError(
      `Stack ${stackName} has no output whose key contains "${TABLE_OUTPUT_KEY_PART}", so it holds no workspace this tool knows of; name the table with --table instead.`,
    );
  }
  const matches = workspace === undefined ? tables : tables.filter((o) => mentions(o.Description ?? '', workspace));
  const [only] = matches;
  if (matches.length === 1 && only?.OutputValue) return only.OutputValue;
  const found = tables.map((o) => `  ${o.OutputKey}: ${o.Description ?? '(no description)'}`).join('\n');
  if (workspace === undefined) {
    throw new AdminError(
      `Stack ${stackName} has ${tables.length} workspace tables; choose one with --workspace TENANT/WORKSPACE:\n${found}`,
    );
  }
  throw new AdminError(
    matches.length === 0
      ? `No table output of stack ${stackName} describes workspace ${workspace}. The table outputs are:\n${found}`
      : `Several table outputs of stack ${stackName} describe workspace ${workspace}:\n${found}`,
  );
}

/** Whole words only: workspace `acme/main` is not mentioned by "acme/main-eu". */
const mentions = (description: string, workspace: string): boolean =>
  description.split(NOT_ID_CHARS).includes(workspace);

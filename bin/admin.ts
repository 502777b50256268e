// `authz-admin`: parses the command line, connects to the workspace's table with the caller's AWS credentials, runs one action.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDb } from '../lambdas/adapters/aws/dynamodb.js';
import { AwsServiceError } from '../lambdas/adapters/aws/errors.js';
import { dynamoStores } from '../lambdas/adapters/dynamodb/stores.js';
import { type Target, USAGE, parseCommandLine } from '../lambdas/admin/command-line.js';
import { AdminError, UsageError } from '../lambdas/admin/errors.js';
import { runAction } from '../lambdas/admin/run.js';
import { regionOfSecret, secretsManagerDestination } from '../lambdas/admin/secrets-manager.js';
import { findTableName } from '../lambdas/admin/stack-outputs.js';

/** DynamoDB Local ignores credentials, but the SDK refuses to sign without some. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Every AWS client made, so each is closed at the end and no open socket keeps the process alive. */
const clients: { destroy(): void }[] = [];
const opened = <T extends { destroy(): void }>(client: T): T => {
  clients.push(client);
  return client;
};

function dynamoConfig(target: Target): DynamoDBClientConfig {
  if (target.kind === 'table' && target.endpoint !== undefined) {
    return { endpoint: target.endpoint, region: target.region ?? 'local', credentials: LOCAL_CREDENTIALS };
  }
  return { region: target.region };
}

async function tableNameOf(target: Target): Promise<string> {
  if (target.kind === 'table') return target.tableName;
  return findTableName(opened(new CloudFormationClient({ region: target.region })), target.stackName, target.workspace);
}

async function main(argv: readonly string[]): Promise<void> {
  const commandLine = parseCommandLine(argv);
  if (commandLine.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { target, action } = commandLine;
  const tableName = await tableNameOf(target);
  // The SDK client resolves the caller's region and credentials (profiles, SSO, …); the stores' client uses them.
  const sdk = opened(new DynamoDBClient(dynamoConfig(target)));
  const dynamo = DynamoDb.create({
    region: await sdk.config.region(),
    ...(target.kind === 'table' && target.endpoint !== undefined && { endpoint: target.endpoint }),
    credentials: () => sdk.config.credentials(),
  });
  try {
    await runAction(action, {
      stores: dynamoStores({ client: dynamo, tableName, clientCacheSeconds: 0 }),
      io: process,
      secretsManager: (secretArn) =>
        secretsManagerDestination(opened(new SecretsManagerClient({ region: regionOfSecret(secretArn) })), secretArn),
    });
  } catch (err) {
    const where = target.kind === 'table' && target.endpoint !== undefined ? ` at ${target.endpoint}` : '';
    throw err instanceof AwsServiceError && err.name === 'ResourceNotFoundException'
      ? new AdminError(`There is no table ${tableName}${where}.`)
      : err;
  }
}

/** Refusals are explained in one line; anything else (AWS errors included) by its name and message, never a stack. */
function report(err: unknown): number {
  const message =
    err instanceof AdminError
      ? err.message
      : err instanceof Error && err.message === 'Region is missing'
        ? 'No AWS region: pass --region or set AWS_REGION.'
        : err instanceof Error
          ? `${err.name}: ${err.message}`
          : String(err);
  process.stderr.write(`authz-admin: ${message}\n`);
  if (err instanceof UsageError) process.stderr.write('Run authz-admin --help for usage.\n');
  return err instanceof AdminError ? err.exitCode : 1;
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  process.exitCode = report(err);
} finally {
  for (const client of clients) client.destroy();
}

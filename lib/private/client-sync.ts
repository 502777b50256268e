// Clients declared in CDK reach the workspace table at deploy time; confidential ones get a generated secret.
import { CustomResource, Duration, Lazy, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import { usesClientSecret } from '../../lambdas/core/registration/registration.js';
import {
  CLIENT_SECRET_FIELD,
  type ClientSyncProperties,
  type DeclaredClient,
} from '../../lambdas/custom-resources/client-sync-contract.js';
import { BundledFunction } from './bundled-function.js';
import { clientSyncTableActions } from './handler-access.js';
import { CLIENT_SYNC_ASSET } from './lambda-assets.js';
import { acknowledgeNagRule } from './nag.js';

/**
 * 64 letters and digits ≈ 380 bits: far above the 256 bits a secret compared by SHA-256 needs, and free of
 * characters that need escaping in Basic credentials or form bodies.
 *
 * FROZEN: CloudFormation generates a new value for every secret whose generation settings change, so any
 * change here would rotate every confidential client's secret of every deployment on its next deploy. A
 * test pins these values; changing them is a breaking change of the package.
 */
export const SECRET_GENERATION = {
  passwordLength: 64,
  excludePunctuation: true,
  includeSpace: false,
} as const satisfies secretsmanager.SecretStringGenerator;

/** How long CloudFormation waits for the sync before it fails the deployment (instead of an hour). */
export const SYNC_SERVICE_TIMEOUT = Duration.minutes(5);

const PROVIDER_ID = 'AuthorizationServerClientSync';

/**
 * The sync function and custom resource provider, once per stack: every workspace's resource uses it, so
 * a workspace adds one custom resource, not eight resources. Each workspace adds its table and secrets to
 * the function's policy.
 */
class ClientSyncProvider extends Construct {
  static of(scope: Construct, removalPolicy: RemovalPolicy, logRetention: logs.RetentionDays): ClientSyncProvider {
    const stack = Stack.of(scope);
    return (
      (stack.node.tryFindChild(PROVIDER_ID) as ClientSyncProvider | undefined) ??
      new ClientSyncProvider(stack, PROVIDER_ID, removalPolicy, logRetention)
    );
  }

  readonly function: BundledFunction;
  readonly serviceToken: string;

  private constructor(scope: Construct, id: string, removalPolicy: RemovalPolicy, logRetention: logs.RetentionDays) {
    super(scope, id);
    this.function = new BundledFunction(this, 'Handler', {
      asset: CLIENT_SYNC_ASSET,
      description: 'Writes the clients declared in CDK into the tables of the workspaces of this stack',
      // One Secrets Manager read and one put per client; generous for workspaces with many clients.
      timeout: Duration.minutes(1),
      logRetention,
      removalPolicy,
    });
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: logRetention, removalPolicy });
    // Our own role keeps the AWS managed AWSLambdaBasicExecutionRole off the framework function too.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider of the clients declared in CDK',
    });
    frameworkLogs.grantWrite(frameworkRole);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    const onEventId = Stack.of(this).getLogicalId(this.function.function.node.defaultChild as lambda.CfnFunction);
    acknowledgeNagRule(
      frameworkRole,
      `IAM5[Resource::<${onEventId}.Arn>:*]`,
      'Written by the Provider framework (grantInvoke): invoking any version of the one sync function, nothing else.',
    );
    this.serviceToken = provider.serviceToken;
  }
}

export interface ClientSyncProps {
  readonly table: dynamodb.ITable;
  /** `tenant/workspace`, for descriptions. */
  readonly workspaceLabel: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  /** Rewrite the declared clients at every deployment, repairing changes made outside CDK. */
  readonly syncOnEveryDeploy: boolean;
}

export class ClientSync extends Construct {
  private readonly provider: ClientSyncProvider;
  private readonly declared: { registration: ClientRegistration; secret?: secretsmanager.Secret }[] = [];
  private readonly secretsById: Record<string, secretsmanager.Secret> = {};

  /** Secrets of confidential clients by client id: CloudFormation generates them, so they never sit in the template. */
  get secrets(): Readonly<Record<string, secretsmanager.Secret>> {
    return this.secretsById;
  }

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ClientSyncProps,
  ) {
    super(scope, id);
    this.provider = ClientSyncProvider.of(this, props.removalPolicy, props.logRetention);
    this.provider.function.policy.addStatements(
      new iam.PolicyStatement({ actions: [...clientSyncTableActions], resources: [props.table.tableArn] }),
    );

    const properties: ClientSyncProperties & { DeployedAt?: string } = {
      TableName: props.table.tableName,
      // Lazy: clients added with addClient after construction are part of the same document.
      Clients: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.declaredClients()) }),
      SecretGeneration: JSON.stringify(SECRET_GENERATION),
      // A value that differs at every synth makes CloudFormation run the sync at every deployment.
      ...(props.syncOnEveryDeploy && { DeployedAt: new Date().toISOString() }),
    };
    new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::AuthorizationServerClients',
      serviceTimeout: SYNC_SERVICE_TIMEOUT,
      properties: { ...properties },
    });
  }

  /** Declares a client (already validated); a confidential client gets its secret here. */
  add(registration: ClientRegistration): secretsmanager.Secret | undefined {
    let secret: secretsmanager.Secret | undefined;
    if (usesClientSecret(registration.tokenEndpointAuthMethod)) {
      // The construct id carries the client id: renaming a client creates a new secret (see the README).
      secret = new secretsmanager.Secret(this, `Secret-${registration.clientId}`, {
        description: `Client secret of ${registration.clientId} in ${this.props.workspaceLabel}`,
        removalPolicy: this.props.removalPolicy,
        generateSecretString: {
          ...SECRET_GENERATION,
          secretStringTemplate: JSON.stringify({ clientId: registration.clientId }),
          generateStringKey: CLIENT_SECRET_FIELD,
        },
      });
      this.provider.function.policy.addStatements(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [secret.secretArn],
        }),
      );
      acknowledgeNagRule(
        secret,
        'SMG4',
        'A client secret rotates together with the hash in the workspace table (admin tooling: rotate secret); a ' +
          'Secrets Manager rotation that left the hash behind would lock the client out.',
      );
      this.secretsById[registration.clientId] = secret;
    }
    this.declared.push(secret ? { registration, secret } : { registration });
    return secret;
  }

  has(clientId: string): boolean {
    return this.declared.some((d) => d.registration.clientId === clientId);
  }

  private declaredClients(): DeclaredClient[] {
    return this.declared.map(({ registration, secret }) =>
      secret ? { ...registration, secretArn: secret.secretArn } : registration,
    );
  }
}

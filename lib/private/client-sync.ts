// Clients declared in CDK reach the workspace table at deploy time; confidential ones get a generated secret.
import { CustomResource, Duration, Lazy, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
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
import { CLIENT_SYNC_ASSET } from './lambda-assets.js';
import { acknowledgeNagRule } from './nag.js';
import { clientSyncTableActions } from './handler-access.js';

/**
 * 64 letters and digits ≈ 380 bits: far above the 256 bits a secret compared by SHA-256 needs, and free of
 * characters that need escaping in Basic credentials or form bodies.
 */
const SECRET_GENERATION = {
  passwordLength: 64,
  excludePunctuation: true,
  includeSpace: false,
} as const satisfies secretsmanager.SecretStringGenerator;

export interface ClientSyncProps {
  readonly table: dynamodb.ITable;
  /** `tenant/workspace`, for descriptions. */
  readonly workspaceLabel: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
}

export class ClientSync extends Construct {
  readonly function: BundledFunction;
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
    this.function = new BundledFunction(this, 'Handler', {
      asset: CLIENT_SYNC_ASSET,
      description: `Writes the declared clients of ${props.workspaceLabel} into its table`,
      // One Secrets Manager read and one put per client; generous for workspaces with many clients.
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...clientSyncTableActions], resources: [props.table.tableArn] }),
    );

    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Our own role keeps the AWS managed AWSLambdaBasicExecutionRole off the framework function too.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Custom resource provider of the clients of ${props.workspaceLabel}`,
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

    const properties: ClientSyncProperties = {
      TableName: props.table.tableName,
      // Lazy: clients added with addClient after construction are part of the same document.
      Clients: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.declaredClients()) }),
      SecretGeneration: JSON.stringify(SECRET_GENERATION),
    };
    new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AuthorizationServerClients',
      properties: { ...properties },
    });
  }

  /** Declares a client (already validated); a confidential client gets its secret here. */
  add(registration: ClientRegistration): void {
    let secret: secretsmanager.Secret | undefined;
    if (usesClientSecret(registration.tokenEndpointAuthMethod)) {
      secret = new secretsmanager.Secret(this, `Secret-${registration.clientId}`, {
        description: `Client secret of ${registration.clientId} in ${this.props.workspaceLabel}`,
        removalPolicy: this.props.removalPolicy,
        generateSecretString: {
          ...SECRET_GENERATION,
          secretStringTemplate: JSON.stringify({ clientId: registration.clientId }),
          generateStringKey: CLIENT_SECRET_FIELD,
        },
      });
      secret.grantRead(this.function.role);
      acknowledgeNagRule(
        secret,
        'SMG4',
        'A client secret rotates together with the hash in the workspace table (admin tooling: rotate secret); a ' +
          'Secrets Manager rotation that left the hash behind would lock the client out.',
      );
      this.secretsById[registration.clientId] = secret;
    }
    this.declared.push(secret ? { registration, secret } : { registration });
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

// A Lambda function that runs one prebuilt bundle of the package's assets/, with its own role and log group.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type LambdaAssetName, lambdaAssetDir } from './lambda-assets.js';

/** The newest Node.js runtime this aws-cdk-lib knows; cdk-nag's AwsSolutions-L1 asks for exactly this. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface BundledFunctionProps {
  /** The bundle to run: `assets/<asset>/index.mjs`, whose `handler` export is the Lambda handler. */
  readonly asset: LambdaAssetName;
  readonly description: string;
  /** Non-secret configuration only: the environment is visible in the template and the console. @default - none */
  readonly environment?: Record<string, string>;
  /** Lambda CPU scales with memory. @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** Applied to the log group. */
  readonly removalPolicy: RemovalPolicy;
  /** What the function may do besides writing its log group. @default - nothing */
  readonly statements?: iam.PolicyStatement[];
}

/**
 * Node.js (latest runtime), arm64, running a minified ESM bundle that scripts/build.ts built with esbuild
 * against this repository's lock file, the AWS SDK included: nothing is bundled at synth, so consumers
 * need neither esbuild nor Docker, and what runs is byte for byte what this project tested.
 * The role carries its permissions inline (`policy`, which callers may extend until synth): no separate
 * AWS::IAM::Policy resource per function, and no function that could start before its policy exists.
 */
export class BundledFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The role's inline policy: writing the own log group, and `statements`. */
  readonly policy: iam.PolicyDocument;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // An explicit role keeps the AWS managed AWSLambdaBasicExecutionRole (logs:* on *) off the function.
    this.policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
        ...(props.statements ?? []),
      ],
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
      inlinePolicies: { access: this.policy },
    });
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(lambdaAssetDir(props.asset)),
      handler: 'index.handler',
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
    });
  }
}

// A Lambda function bundled from one TypeScript entry with local esbuild, with its own role and log group.
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: entries and the lock file are resolved from it, never from the caller's cwd. */
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The newest Node.js runtime this aws-cdk-lib knows; cdk-nag's AwsSolutions-L1 asks for exactly this. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * ESM output cannot `require`, but some CommonJS dependencies bundled into it still call it for
 * Node built-ins; this gives them one.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface BundledFunctionProps {
  /** Entry module relative to the repository root, e.g. `lambdas/handlers/token.ts`; it exports `handler`. */
  readonly entry: string;
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
}

/**
 * Node.js (latest runtime), arm64, one minified, tree-shaken ESM bundle per entry built by the
 * local esbuild (never Docker). The AWS SDK is bundled too, so what runs is the version we test.
 * The role starts empty except for writing to the function's own log group: callers grant the rest.
 */
export class BundledFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // An explicit role keeps the AWS managed AWSLambdaBasicExecutionRole (logs:* on *) off the function.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // `module` first: the ES module builds of the SDK and jose are what tree-shaking can prune.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: false,
        externalModules: [],
        banner: ESM_REQUIRE_BANNER,
        logLevel: LogLevel.WARNING,
      },
    });
  }
}

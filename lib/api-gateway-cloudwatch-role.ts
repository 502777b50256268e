// The account-level setting API Gateway needs before any stage may write access logs, as a construct of its own.
import { type IAspect, Aspects, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeNagRule } from './private/nag.js';

/** Props of `ApiGatewayCloudWatchRole`. */
export interface ApiGatewayCloudWatchRoleProps {
  /**
   * What happens to the role and the account setting when they leave the stack. Other APIs of the account and
   * region may rely on the setting, so by default both stay.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Sets the account- and region-wide CloudWatch role of API Gateway (`AWS::ApiGateway::Account`), without
 * which a stage with access logging fails to deploy. Place it ONCE per account and region, in the stack
 * that owns that setting, and only if nothing else (a landing zone, another app) sets it already: the last
 * deployment that sets it wins. Like aws-cdk-lib's RestApi it retains the role and the setting, and makes the
 * setting wait for a REST API of its stack (a fresh account has no API Gateway service role before that) and
 * every stage of its stack wait for the setting. Stages in other stacks need `addDependency` on this stack.
 */
export class ApiGatewayCloudWatchRole extends Construct {
  /** The stack's instance created by the `cloudWatchRole` prop of `AuthorizationServer`, if any. */
  static of(scope: Construct): ApiGatewayCloudWatchRole {
    const stack = Stack.of(scope);
    const found = stack.node
      .findAll()
      .find((c): c is ApiGatewayCloudWatchRole => c instanceof ApiGatewayCloudWatchRole);
    return found ?? new ApiGatewayCloudWatchRole(stack, 'AuthorizationServerApiGatewayAccount');
  }

  readonly account: apigw.CfnAccount;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ApiGatewayCloudWatchRoleProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.role = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write access logs (account-wide setting)',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    this.role.applyRemovalPolicy(removalPolicy);
    acknowledgeNagRule(
      this.role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The AWS-maintained policy for the account-wide API Gateway logging role: the role serves every API of the ' +
        "account and region, so it cannot be narrowed to this stack's log groups.",
    );
    this.account = new apigw.CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    this.account.applyRemovalPolicy(removalPolicy);
    Aspects.of(Stack.of(this)).add(new OrderAroundAccount(this.account));
  }
}

/** Account setting after a REST API (the first one), every stage after the account setting. */
class OrderAroundAccount implements IAspect {
  private api: apigw.CfnRestApi | undefined;
  constructor(private readonly account: apigw.CfnAccount) {}

  visit(node: IConstruct): void {
    if (node instanceof apigw.CfnRestApi && !this.api) {
      this.api = node;
      this.account.addDependency(node);
    }
    if (node instanceof apigw.CfnStage) node.addDependency(this.account);
  }
}

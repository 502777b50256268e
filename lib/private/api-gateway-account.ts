// The account-level role API Gateway needs before any stage may write access logs: one per stack, shared.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeNagRule } from './nag.js';

const ID = 'AuthorizationServerApiGatewayAccount';

/**
 * API Gateway refuses a stage with access logging while the account/region has no CloudWatch role.
 * The setting is a singleton, so every workspace of a stack shares this one construct.
 */
export class ApiGatewayAccount extends Construct {
  readonly account: apigw.CfnAccount;
  readonly role: iam.Role;

  /** The stack's instance, created on first use. */
  static of(scope: Construct): ApiGatewayAccount {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(ID) as ApiGatewayAccount | undefined) ?? new ApiGatewayAccount(stack, ID);
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write access logs (account-wide setting)',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    // Other APIs of the account may rely on the setting after this stack is gone, as with RestApi's own role.
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledgeNagRule(
      this.role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The AWS-maintained policy for the account-wide API Gateway logging role: the role serves every API of the ' +
        "account and region, so it cannot be narrowed to this stack's log groups.",
    );
    this.account = new apigw.CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
  }
}

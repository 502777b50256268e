// A regional WAF web ACL with per-address rate limits, associated with one API Gateway stage.
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface RateLimitedWebAclProps {
  readonly stage: apigw.Stage;
  /** Prefix of the CloudWatch metric names, unique per workspace. */
  readonly metricPrefix: string;
  /** Requests per source address per 5 minutes, any route. */
  readonly requestsPerAddress: number;
  /** Login form posts (`POST …/consent`) per source address per 5 minutes. */
  readonly loginPostsPerAddress: number;
}

/**
 * Rate-based rules only: AWS managed rule groups such as the common rule set block ordinary OAuth
 * traffic (a `redirect_uri` in the query string looks like remote file inclusion to them).
 */
export class RateLimitedWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: RateLimitedWebAclProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('all'),
      rules: [
        {
          // Login throttling per username lives in the application; this caps what one address can try.
          name: 'login-posts-per-address',
          priority: 0,
          action: { block: {} },
          visibilityConfig: visibility('login-posts-per-address'),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              limit: props.loginPostsPerAddress,
              scopeDownStatement: {
                andStatement: {
                  statements: [
                    {
                      byteMatchStatement: {
                        fieldToMatch: { method: {} },
                        positionalConstraint: 'EXACTLY',
                        searchString: 'POST',
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                    {
                      byteMatchStatement: {
                        fieldToMatch: { uriPath: {} },
                        // CONTAINS after path normalisation: a trailing slash or doubled slashes must not slip past.
                        positionalConstraint: 'CONTAINS',
                        searchString: '/consent',
                        textTransformations: [{ priority: 0, type: 'NORMALIZE_PATH' }],
                      },
                    },
                  ],
                },
              },
            },
          },
        },
        {
          name: 'requests-per-address',
          priority: 1,
          action: { block: {} },
          visibilityConfig: visibility('requests-per-address'),
          statement: {
            rateBasedStatement: { aggregateKeyType: 'IP', evaluationWindowSec: 300, limit: props.requestsPerAddress },
          },
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

// A regional WAF web ACL with rate limits, associated with one API Gateway stage.
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Five minutes: the window every rate limit below counts in. */
const WINDOW_SECONDS = 300;

/**
 * Routes a person's browser calls. Everything else (token, revocation, introspection, PAR, userinfo, JWKS and
 * metadata) is called by servers, often many users' worth from one egress address, and gets its own limits.
 */
export const BROWSER_PATHS = ['/oauth2/authorize', '/consent', '/oauth2/logout'] as const;

export interface WebAclLimits {
  /** Browser requests per source address per 5 minutes. */
  readonly browserRequestsPerAddress: number;
  /** Login form posts (`POST …/consent`) per source address per 5 minutes. */
  readonly loginPostsPerAddress: number;
  /** Server-to-server requests per source address per 5 minutes. */
  readonly apiRequestsPerAddress: number;
  /** Server-to-server requests per `Authorization` header value (one client's credentials, one token) per 5 minutes. */
  readonly apiRequestsPerCredential: number;
}

export interface RateLimitedWebAclProps {
  /** Prefix of the CloudWatch metric names, unique per workspace. */
  readonly metricPrefix: string;
  readonly limits: WebAclLimits;
}

// CONTAINS after path normalisation: a trailing slash or doubled slashes must not slip past.
const pathContains = (path: string): wafv2.CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch: { uriPath: {} },
    positionalConstraint: 'CONTAINS',
    searchString: path,
    textTransformations: [{ priority: 0, type: 'NORMALIZE_PATH' }],
  },
});

const browserRoute: wafv2.CfnWebACL.StatementProperty = {
  orStatement: { statements: BROWSER_PATHS.map(pathContains) },
};
const serverRoute: wafv2.CfnWebACL.StatementProperty = { notStatement: { statement: browserRoute } };

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
    const rule = (
      name: string,
      priority: number,
      rateBasedStatement: wafv2.CfnWebACL.RateBasedStatementProperty,
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: { block: {} },
      visibilityConfig: visibility(name),
      statement: { rateBasedStatement: { evaluationWindowSec: WINDOW_SECONDS, ...rateBasedStatement } },
    });
    const { limits } = props;
    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('all'),
      rules: [
        // Login throttling per username lives in the application; this caps what one address can try.
        rule('login-posts-per-address', 0, {
          aggregateKeyType: 'IP',
          limit: limits.loginPostsPerAddress,
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
                pathContains('/consent'),
              ],
            },
          },
        }),
        rule('browser-requests-per-address', 1, {
          aggregateKeyType: 'IP',
          limit: limits.browserRequestsPerAddress,
          scopeDownStatement: browserRoute,
        }),
        // A request without an Authorization header (JWKS, metadata, a public client's token request) is not
        // counted here: WAF skips requests that lack a key. The per-address rule below still counts it.
        rule('api-requests-per-credential', 2, {
          aggregateKeyType: 'CUSTOM_KEYS',
          customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
          limit: limits.apiRequestsPerCredential,
          scopeDownStatement: serverRoute,
        }),
        rule('api-requests-per-address', 3, {
          aggregateKeyType: 'IP',
          limit: limits.apiRequestsPerAddress,
          scopeDownStatement: serverRoute,
        }),
      ],
    });
  }
}

/** Associates a web ACL (this construct's or a shared one) with a stage. */
export function associateWebAcl(scope: Construct, id: string, stageArn: string, webAclArn: string): void {
  new wafv2.CfnWebACLAssociation(scope, id, { resourceArn: stageArn, webAclArn });
}

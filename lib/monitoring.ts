// Operations: the metrics the handlers log (Embedded Metric Format), a dashboard and alarms for one workspace.
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  DEFAULT_METRICS_NAMESPACE,
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE_VARIABLE,
  workspaceDimension,
} from '../lambdas/adapters/metrics-contract.js';
import { PropError } from './private/validation.js';

/** Metrics, dashboard and alarms of a workspace. */
export interface MonitoringOptions {
  /**
   * CloudWatch namespace the handlers publish their metrics under (through their log lines, in Embedded
   * Metric Format). Workspaces sharing a namespace are told apart by the `Workspace` dimension.
   * @default 'AuthorizationServer'
   */
  readonly namespace?: string;
  /**
   * Add the workspace's graphs to the stack's operations dashboard (one dashboard per stack, a section per
   * workspace).
   * @default true
   */
  readonly dashboard?: boolean;
  /** Create the workspace's alarms (see `alarms` on the construct). @default true */
  readonly alarms?: boolean;
  /** What every alarm of the workspace does when it goes into ALARM, e.g. an SNS topic action. @default - none */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /** What every alarm of the workspace does when it goes back to OK. @default - none */
  readonly okActions?: cloudwatch.IAlarmAction[];
  /**
   * Server errors (5xx), percent of requests in 5 minutes, at or above which `ServerErrors` alarms; at least 5
   * failed requests are needed, so a single failure at night does not page anyone.
   * @default 5
   */
  readonly serverErrorPercent?: number;
  /** Failed sign-ins in 5 minutes at or above which `LoginFailures` alarms. @default 50 */
  readonly loginFailuresPerFiveMinutes?: number;
  /** Throttled Lambda invocations in 5 minutes at or above which `Throttles` alarms. @default 1 */
  readonly throttlesPerFiveMinutes?: number;
}

/** Options of the per-endpoint metrics. */
export interface EndpointMetricOptions extends cloudwatch.MetricOptions {
  /** A route of the workspace, `METHOD /path` relative to the issuer, e.g. `POST /oauth2/token`. @default - all endpoints */
  readonly endpoint?: string;
}

/** Options of `metricTokensIssued`. */
export interface TokensIssuedMetricOptions extends cloudwatch.MetricOptions {
  /** `authorization_code`, `refresh_token` or `client_credentials`. @default - every grant type */
  readonly grantType?: string;
}

const FIVE_MINUTES = Duration.minutes(5);
const NAMESPACE_PATTERN = /^[A-Za-z0-9._/#:-]{1,255}$/;

/** The namespace `options` name, checked as CloudWatch would. */
export function metricsNamespace(options: MonitoringOptions | undefined): string {
  const namespace = options?.namespace ?? DEFAULT_METRICS_NAMESPACE;
  if (!NAMESPACE_PATTERN.test(namespace) || namespace.startsWith('AWS/'))
    throw new PropError(
      'monitoring.namespace',
      `"${namespace}" must be 1-255 letters, digits or . _ / # : - and must not start with AWS/.`,
    );
  return namespace;
}

/** The Lambda environment naming a namespace other than the default (the handlers' own default otherwise). */
export function metricsEnvironment(options: MonitoringOptions | undefined): Record<string, string> {
  const namespace = metricsNamespace(options);
  return namespace === DEFAULT_METRICS_NAMESPACE ? {} : { [METRICS_NAMESPACE_VARIABLE]: namespace };
}

function checkThreshold(prop: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max)
    throw new PropError(`monitoring.${prop}`, `must be a number above 0 and at most ${max}, not ${String(value)}.`);
  return value;
}

export interface WorkspaceMetricsProps {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly options?: MonitoringOptions;
}

/** The metrics of one workspace, as its handlers publish them. */
export class WorkspaceMetrics {
  readonly namespace: string;
  /** The `Workspace` dimension value, `{tenantId}/{workspaceId}`. */
  readonly workspace: string;

  constructor(props: WorkspaceMetricsProps) {
    this.namespace = metricsNamespace(props.options);
    this.workspace = workspaceDimension(props.tenantId, props.workspaceId);
  }

  private metric(
    metricName: string,
    dimensions: Record<string, string | undefined>,
    defaults: { statistic: string },
    options: cloudwatch.MetricOptions = {},
  ): cloudwatch.Metric {
    const dimensionsMap: Record<string, string> = { [DIMENSION.workspace]: this.workspace };
    for (const [name, value] of Object.entries(dimensions)) if (value !== undefined) dimensionsMap[name] = value;
    const {
      endpoint: _e,
      grantType: _g,
      ...metricOptions
    } = options as EndpointMetricOptions & TokensIssuedMetricOptions;
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap,
      period: FIVE_MINUTES,
      ...defaults,
      ...metricOptions,
    });
  }

  /** Milliseconds from event to response. @default statistic p99, period 5 minutes */
  latency(options: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.metric(METRIC.latency, { [DIMENSION.endpoint]: options.endpoint }, { statistic: 'p99' }, options);
  }

  /** Requests served (the sample count of `Latency`). @default period 5 minutes */
  requests(options: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.metric(
      METRIC.latency,
      { [DIMENSION.endpoint]: options.endpoint },
      { statistic: 'SampleCount' },
      options,
    );
  }

  /** Requests answered with OAuth error `error` (`invalid_grant`, `server_error`, …). @default statistic Sum */
  errors(error: string, options: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.metric(
      METRIC.errors,
      { [DIMENSION.endpoint]: options.endpoint, [DIMENSION.error]: error },
      { statistic: 'Sum' },
      options,
    );
  }

  /** Token responses. @default statistic Sum */
  tokensIssued(options: TokensIssuedMetricOptions = {}): cloudwatch.Metric {
    return this.metric(
      METRIC.tokensIssued,
      { [DIMENSION.grantType]: options.grantType },
      { statistic: 'Sum' },
      options,
    );
  }

  /** A workspace-wide count: failed or throttled sign-ins, replays, KMS or DynamoDB failures. @default statistic Sum */
  count(
    counter: 'loginFailures' | 'loginThrottles' | 'replays' | 'kmsErrors' | 'dynamoDbErrors',
    options: cloudwatch.MetricOptions = {},
  ): cloudwatch.Metric {
    return this.metric(METRIC[counter], {}, { statistic: 'Sum' }, options);
  }

  /** A dashboard expression graphing every series of `metricName` under `dimensions` for this workspace. */
  search(metricName: string, dimensions: readonly string[], statistic: string, label: string): cloudwatch.IMetric {
    const schema = [`"${this.namespace}"`, DIMENSION.workspace, ...dimensions].join(',');
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${schema}} MetricName="${metricName}" ${DIMENSION.workspace}="${this.workspace}"', '${statistic}', 300)`,
      label,
      period: FIVE_MINUTES,
      usingMetrics: {},
    });
  }
}

/** An API Gateway metric of `api` by its name, as `RestApi`'s `metric*` methods build it, for any `IRestApi`. */
export function apiMetric(
  api: apigw.IRestApi,
  metricName: '5XXError' | 'Count',
  options?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensionsMap: { ApiName: api.restApiName },
    ...options,
  });
}

export interface OperationsProps {
  readonly metrics: WorkspaceMetrics;
  /** The API the workspace is served by, and whether the construct created it (so its 5xx are the workspace's). */
  readonly api: apigw.IRestApi;
  readonly ownsApi: boolean;
  readonly functions: readonly lambda.IFunction[];
  readonly options?: MonitoringOptions;
}

/**
 * The workspace's alarms and its section of the stack's dashboard. Every alarm treats missing data as not
 * breaching: the metrics exist only while something is counted.
 */
export class Operations extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { metrics, options = {} } = props;
    const serverErrorPercent = checkThreshold('serverErrorPercent', options.serverErrorPercent, 5, 100);
    const loginFailures = checkThreshold('loginFailuresPerFiveMinutes', options.loginFailuresPerFiveMinutes, 50, 1e9);
    const throttles = checkThreshold('throttlesPerFiveMinutes', options.throttlesPerFiveMinutes, 1, 1e9);

    const serverErrors = this.serverErrorRate(props);
    const lambdaThrottles = new cloudwatch.MathExpression({
      expression: props.functions.map((_, i) => `FILL(t${i}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(
        props.functions.map((fn, i) => [`t${i}`, fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES })]),
      ),
      label: 'Throttled invocations',
      period: FIVE_MINUTES,
    });

    if (options.alarms !== false) {
      const label = metrics.workspace;
      this.alarm(
        'ServerErrors',
        serverErrors,
        serverErrorPercent,
        `${label}: ${serverErrorPercent}% or more of requests failed with 5xx (at least 5) in 5 minutes.`,
        options,
      );
      this.alarm(
        'Throttles',
        lambdaThrottles,
        throttles,
        `${label}: Lambda throttled ${throttles} or more invocations in 5 minutes: requests were refused for lack of concurrency.`,
        options,
      );
      this.alarm(
        'KmsErrors',
        metrics.count('kmsErrors'),
        1,
        `${label}: KMS calls failed: tokens cannot be signed or the JWKS served.`,
        options,
      );
      this.alarm(
        'Replays',
        metrics.count('replays'),
        1,
        `${label}: a used authorization code, rotated refresh token or client assertion was presented again; its grant was revoked.`,
        options,
      );
      this.alarm(
        'LoginFailures',
        metrics.count('loginFailures'),
        loginFailures,
        `${label}: ${loginFailures} or more failed sign-ins in 5 minutes: password guessing or a broken sign-in.`,
        options,
      );
    }

    if (options.dashboard !== false) {
      const board = stackDashboard(this);
      board.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## Workspace ${metrics.workspace}`, width: 24, height: 1 }),
      );
      board.addWidgets(
        this.graph('Requests by endpoint', [metrics.search(METRIC.latency, [DIMENSION.endpoint], 'SampleCount', '')]),
        this.graph('Latency p99 by endpoint (ms)', [metrics.search(METRIC.latency, [DIMENSION.endpoint], 'p99', '')]),
        this.graph('Latency (ms)', [
          metrics.latency({ statistic: 'p50', label: 'p50' }),
          metrics.latency({ statistic: 'p99', label: 'p99' }),
        ]),
        this.graph('Errors by endpoint and code', [
          metrics.search(METRIC.errors, [DIMENSION.endpoint, DIMENSION.error], 'Sum', ''),
        ]),
      );
      board.addWidgets(
        this.graph('Tokens issued by grant type', [
          metrics.search(METRIC.tokensIssued, [DIMENSION.grantType], 'Sum', ''),
        ]),
        this.graph('Sign-ins refused', [
          metrics.count('loginFailures', { label: 'failed' }),
          metrics.count('loginThrottles', { label: 'throttled' }),
        ]),
        this.graph('Replays, KMS and DynamoDB failures', [
          metrics.count('replays', { label: 'replays' }),
          metrics.count('kmsErrors', { label: 'KMS' }),
          metrics.count('dynamoDbErrors', { label: 'DynamoDB' }),
        ]),
        this.graph(props.ownsApi ? 'API 5xx (%) and Lambda throttles' : '5xx (%) and Lambda throttles', [
          serverErrors,
          lambdaThrottles,
        ]),
      );
      if (this.alarms.length > 0)
        board.addWidgets(
          new cloudwatch.AlarmStatusWidget({ title: `Alarms of ${metrics.workspace}`, alarms: this.alarms, width: 24 }),
        );
    }
  }

  /**
   * 5xx as a percentage of requests, 0 below 5 failures. The API's own counts when the construct created the
   * API (they include the Lambda failures and timeouts that never wrote a line); the workspace's `server_error`
   * responses when it shares a caller's API, whose counts span other workspaces.
   */
  private serverErrorRate(props: OperationsProps): cloudwatch.MathExpression {
    const usingMetrics: Record<string, cloudwatch.IMetric> = props.ownsApi
      ? {
          e: apiMetric(props.api, '5XXError', { statistic: 'Sum', period: FIVE_MINUTES }),
          n: apiMetric(props.api, 'Count', { statistic: 'Sum', period: FIVE_MINUTES }),
        }
      : { e: props.metrics.errors('server_error'), n: props.metrics.requests() };
    return new cloudwatch.MathExpression({
      expression: 'IF(FILL(e, 0) >= 5, 100 * FILL(e, 0) / FILL(n, 1), 0)',
      usingMetrics,
      label: '5xx (%)',
      period: FIVE_MINUTES,
    });
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
    options: MonitoringOptions,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    for (const action of options.alarmActions ?? []) alarm.addAlarmAction(action);
    for (const action of options.okActions ?? []) alarm.addOkAction(action);
    this.alarms.push(alarm);
  }

  private graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
    return new cloudwatch.GraphWidget({ title, left: metrics, width: 6, height: 6 });
  }
}

const DASHBOARD_ID = 'AuthorizationServerDashboard';

/** The stack's one operations dashboard, shared by its workspaces (a dashboard per workspace would cost a resource each). */
function stackDashboard(scope: Construct): cloudwatch.Dashboard {
  const stack = Stack.of(scope);
  return (
    (stack.node.tryFindChild(DASHBOARD_ID) as cloudwatch.Dashboard | undefined) ??
    new cloudwatch.Dashboard(stack, DASHBOARD_ID, { defaultInterval: Duration.hours(3) })
  );
}

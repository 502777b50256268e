// Operations in the template: the alarms and the dashboard each workspace gets by default, the namespace the
// handlers are told, and the metric methods, all on the metric names and dimensions the handlers write.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { AuthorizationServer } from '../../lib/index.js';
import { DEFAULT_METRICS_NAMESPACE, METRIC } from '../../lambdas/adapters/metrics-contract.js';
import { baseProps, logicalId, unbundledApp, workspaceStack } from './support.js';

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOfType = (template: Template, type: string): Record<string, Resource> =>
  Object.fromEntries(
    Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type),
  );
const alarmsOf = (template: Template) => Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
const alarmNamed = (template: Template, id: string) =>
  Object.entries(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).find(([logical]) =>
    logical.includes(`Operations${id}`),
  )![1].Properties;
/** A dashboard body is a Fn::Join of strings and tokens; its literal text is enough to read. */
const dashboardText = (template: Template): string =>
  Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'))
    .map((d) => JSON.stringify(d.Properties.DashboardBody))
    .join('');
/** The single metrics of an alarm (directly, or inside its math expression). */
const metricStats = (alarm: Record<string, any>) =>
  alarm.MetricName
    ? [{ Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions }]
    : (alarm.Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);

describe('a workspace with default monitoring', () => {
  const { server, template } = workspaceStack();

  it('has five alarms, missing data not breaching, on the metrics the handlers publish', () => {
    expect(alarmsOf(template)).toHaveLength(5);
    expect(server.alarms).toHaveLength(5);
    for (const alarm of alarmsOf(template)) {
      expect(alarm.Properties).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmDescription: expect.stringContaining('acme/customers'),
      });
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
    const workspace = [{ Name: 'Workspace', Value: 'acme/customers' }];
    for (const [id, metric, threshold] of [
      ['KmsErrors', METRIC.kmsErrors, 1],
      ['Replays', METRIC.replays, 1],
      ['LoginFailures', METRIC.loginFailures, 50],
    ] as const) {
      expect(alarmNamed(template, id)).toMatchObject({
        Namespace: DEFAULT_METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: workspace,
        Statistic: 'Sum',
        Period: 300,
        Threshold: threshold,
      });
    }
  });

  it('alarms on the API 5xx rate (at least 5 failures) and on Lambda throttles of all six functions', () => {
    const serverErrors = alarmNamed(template, 'ServerErrors');
    expect(serverErrors.Threshold).toBe(5);
    expect(serverErrors.Metrics[0].Expression).toBe('IF(FILL(e, 0) >= 5, 100 * FILL(e, 0) / FILL(n, 1), 0)');
    expect(metricStats(serverErrors).map((m) => m.MetricName)).toEqual(['5XXError', 'Count']);
    expect(metricStats(serverErrors)[0].Namespace).toBe('AWS/ApiGateway');
    const throttles = alarmNamed(template, 'Throttles');
    expect(throttles.Threshold).toBe(1);
    const throttled = metricStats(throttles);
    expect(throttled).toHaveLength(6);
    expect(throttled.every((m) => m.MetricName === 'Throttles' && m.Namespace === 'AWS/Lambda')).toBe(true);
    expect(throttled.map((m) => m.Dimensions[0].Value.Ref).sort()).toEqual(
      Object.values(server.functions)
        .map((fn) => logicalId(fn))
        .sort(),
    );
  });

  it('adds a section to the stack dashboard: requests, latency, errors by code, tokens by grant type, sign-ins, failures', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = dashboardText(template);
    for (const text of [
      'Workspace acme/customers',
      'Requests by endpoint',
      'Errors by endpoint and code',
      'Tokens issued by grant type',
      'Sign-ins refused',
      'Replays, KMS and DynamoDB failures',
      String.raw`SEARCH('{\\\"AuthorizationServer\\\",Workspace,Endpoint,Error} MetricName=\\\"Errors\\\"`,
      'alarm',
    ])
      expect(body).toContain(text);
  });

  it('tells the handlers no namespace: they default to the same one', () => {
    for (const fn of Object.values(resourcesOfType(template, 'AWS::Lambda::Function')))
      expect(fn.Properties.Environment?.Variables?.METRICS_NAMESPACE).toBeUndefined();
  });

  it('gives metric methods on the workspace dimension, per endpoint, error code and grant type', () => {
    const stack = Stack.of(server);
    const resolved = (m: { toMetricConfig(): unknown }) => stack.resolve(m.toMetricConfig());
    expect(resolved(server.metricErrors('invalid_grant', { endpoint: 'POST /oauth2/token' }))).toMatchObject({
      metricStat: {
        namespace: 'AuthorizationServer',
        metricName: 'Errors',
        statistic: 'Sum',
        dimensions: [
          { name: 'Endpoint', value: 'POST /oauth2/token' },
          { name: 'Error', value: 'invalid_grant' },
          { name: 'Workspace', value: 'acme/customers' },
        ],
      },
    });
    expect(resolved(server.metricTokensIssued({ grantType: 'refresh_token' }))).toMatchObject({
      metricStat: {
        metricName: 'TokensIssued',
        dimensions: [
          { name: 'GrantType', value: 'refresh_token' },
          { name: 'Workspace', value: 'acme/customers' },
        ],
      },
    });
    expect(resolved(server.metricLatency())).toMatchObject({ metricStat: { metricName: 'Latency', statistic: 'p99' } });
    expect(resolved(server.metricRequests({ endpoint: 'GET /userinfo' }))).toMatchObject({
      metricStat: { metricName: 'Latency', statistic: 'SampleCount' },
    });
    for (const [metric, name] of [
      [server.metricLoginFailures(), METRIC.loginFailures],
      [server.metricLoginThrottles(), METRIC.loginThrottles],
      [server.metricReplays(), METRIC.replays],
      [server.metricKmsErrors(), METRIC.kmsErrors],
      [server.metricDynamoDbErrors(), METRIC.dynamoDbErrors],
    ] as const)
      expect(resolved(metric)).toMatchObject({
        metricStat: { metricName: name, dimensions: [{ name: 'Workspace', value: 'acme/customers' }] },
      });
    expect(resolved(server.metricServerErrors())).toMatchObject({
      metricStat: { namespace: 'AWS/ApiGateway', metricName: '5XXError', statistic: 'Sum' },
    });
  });
});

describe('monitoring options', () => {
  it('publishes under a namespace of choice, told to every handler, and sends every alarm to the actions given', () => {
    const stack = new Stack(unbundledApp(), 'Test');
    const topic = new sns.Topic(stack, 'Pager');
    new AuthorizationServer(stack, 'Workspace', {
      ...baseProps,
      monitoring: {
        namespace: 'Acme/Identity',
        alarmActions: [new actions.SnsAction(topic)],
        okActions: [new actions.SnsAction(topic)],
        loginFailuresPerFiveMinutes: 200,
        serverErrorPercent: 2,
      },
    });
    const t = Template.fromStack(stack);
    for (const fn of Object.values(resourcesOfType(t, 'AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.TENANT_ID,
    ))
      expect(fn.Properties.Environment.Variables.METRICS_NAMESPACE).toBe('Acme/Identity');
    const topicRef = { Ref: logicalId(topic) };
    for (const alarm of alarmsOf(t)) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
    expect(alarmNamed(t, 'LoginFailures')).toMatchObject({ Namespace: 'Acme/Identity', Threshold: 200 });
    expect(alarmNamed(t, 'ServerErrors').Threshold).toBe(2);
    expect(dashboardText(t)).toContain(String.raw`{\\\"Acme/Identity\\\",Workspace`);
  });

  it('can turn the dashboard and the alarms off', () => {
    const { server, template } = workspaceStack({ monitoring: { dashboard: false, alarms: false } });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(server.alarms).toEqual([]);
    // the metrics are still there: the handlers publish them whatever the construct creates
    expect(server.metricReplays().metricName).toBe('Replays');
  });

  it('gives the workspaces of a stack one dashboard, a section each, and their own alarms', () => {
    const stack = new Stack(unbundledApp(), 'Test');
    new AuthorizationServer(stack, 'One', baseProps);
    new AuthorizationServer(stack, 'Two', { ...baseProps, workspaceId: 'staff' });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    expect(dashboardText(t)).toContain('Workspace acme/customers');
    expect(dashboardText(t)).toContain('Workspace acme/staff');
  });

  it("alarms on the workspace's own server_error answers when it shares a caller's API", () => {
    const stack = new Stack(unbundledApp(), 'Test');
    const api = new apigw.RestApi(stack, 'Shared', { deployOptions: { stageName: 'live' } });
    api.root.addMethod('GET', new apigw.MockIntegration());
    new AuthorizationServer(stack, 'Workspace', { ...baseProps, api });
    const serverErrors = alarmNamed(Template.fromStack(stack), 'ServerErrors');
    expect(metricStats(serverErrors)).toEqual([
      {
        Namespace: 'AuthorizationServer',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'Error', Value: 'server_error' },
          { Name: 'Workspace', Value: 'acme/customers' },
        ],
      },
      {
        Namespace: 'AuthorizationServer',
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Workspace', Value: 'acme/customers' }],
      },
    ]);
  });

  it.each([
    [{ namespace: 'AWS/Lambda' }, 'monitoring.namespace'],
    [{ namespace: 'has space' }, 'monitoring.namespace'],
    [{ serverErrorPercent: 0 }, 'monitoring.serverErrorPercent'],
    [{ serverErrorPercent: 101 }, 'monitoring.serverErrorPercent'],
    [{ loginFailuresPerFiveMinutes: -1 }, 'monitoring.loginFailuresPerFiveMinutes'],
  ])('refuses %j naming %s', (monitoring, prop) => {
    expect(() => workspaceStack({ monitoring })).toThrow(expect.objectContaining({ name: 'ValidationError' }));
    expect(() => workspaceStack({ monitoring })).toThrow(prop);
  });
});

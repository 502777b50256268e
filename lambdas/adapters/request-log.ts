// The one line a request leaves, built once when it ends: its access log and, in CloudWatch Embedded Metric Format
// (EMF), its metrics, which CloudWatch extracts from the Lambda's log group with no API call and no extra permission.
import { levelOn, loggingOn, writeLine } from './log.js';
import {
  DEFAULT_METRICS_NAMESPACE,
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE_VARIABLE,
  OTHER_ENDPOINT,
} from './metrics-contract.js';
import type { RequestCounter, RequestRecord } from './request-context.js';

/** How a request ended, as the response tells it. */
export interface RequestOutcome {
  readonly status: number;
  /** The OAuth error answered, with its internal detail (never sent to the client). */
  readonly error?: { readonly error: string; readonly detail?: string };
}

/** Writes the line of a finished request. */
export type RequestLog = (record: RequestRecord, outcome: RequestOutcome) => void;

const COUNTER_METRICS: ReadonlyArray<readonly [RequestCounter, string]> = [
  ['loginFailures', METRIC.loginFailures],
  ['loginThrottles', METRIC.loginThrottles],
  ['replays', METRIC.replays],
  ['kmsErrors', METRIC.kmsErrors],
  ['dynamoDbErrors', METRIC.dynamoDbErrors],
];

/** An OAuth error code, bounded like every dimension value: anything else is published as `other`. */
const errorDimension = (outcome: RequestOutcome): string | undefined => {
  const code = outcome.error?.error ?? (outcome.status >= 400 ? `http_${outcome.status}` : undefined);
  return code === undefined || /^[a-z0-9_]{1,40}$/.test(code) ? code : 'other';
};

interface Directive {
  readonly Namespace: string;
  readonly Dimensions: string[][];
  readonly Metrics: { readonly Name: string; readonly Unit: 'Milliseconds' | 'Count' }[];
}

/**
 * The request's line as a JSON object: the access-log fields, then each metric's value and dimension values as
 * top-level members, then `_aws`, which declares them. Only metrics with something to count are declared, so a
 * plain request publishes its latency alone. `detail` (why a request was refused) is for 5xx always, for 4xx only
 * at debug level, as before.
 */
export function requestLine(
  record: RequestRecord,
  outcome: RequestOutcome,
  namespace: string,
  now = Date.now(),
): Record<string, unknown> {
  const W = DIMENSION.workspace;
  const E = DIMENSION.endpoint;
  const directive = (dimensions: string[][], ...metrics: Directive['Metrics']): Directive => ({
    Namespace: namespace,
    Dimensions: dimensions,
    Metrics: metrics,
  });
  const serverError = serverFailed(outcome);
  const line: Record<string, unknown> = {
    level: serverError ? 'error' : 'info',
    message: 'request',
    requestId: record.requestId,
    [W]: record.workspace,
    [E]: record.endpoint,
    ...(record.endpoint === OTHER_ENDPOINT && { route: record.route }),
    status: outcome.status,
    [METRIC.latency]: now - record.started,
  };
  const directives = [directive([[W, E], [W]], { Name: METRIC.latency, Unit: 'Milliseconds' })];
  const error = errorDimension(outcome);
  if (error !== undefined) {
    line[DIMENSION.error] = error;
    line[METRIC.errors] = 1;
    directives.push(
      directive(
        [
          [W, E, DIMENSION.error],
          [W, DIMENSION.error],
        ],
        { Name: METRIC.errors, Unit: 'Count' },
      ),
    );
    const detail = outcome.error?.detail;
    if (detail !== undefined && (serverError || levelOn('debug'))) line.detail = detail;
  }
  if (record.tokensIssued > 0) {
    line[DIMENSION.grantType] = record.grantType;
    line[METRIC.tokensIssued] = record.tokensIssued;
    directives.push(directive([[W, DIMENSION.grantType], [W]], { Name: METRIC.tokensIssued, Unit: 'Count' }));
  }
  const counted = COUNTER_METRICS.filter(([counter]) => record.counts[counter] > 0);
  if (counted.length > 0) {
    for (const [counter, name] of counted) line[name] = record.counts[counter];
    directives.push(directive([[W]], ...counted.map(([, name]) => ({ Name: name, Unit: 'Count' as const }))));
  }
  line._aws = { Timestamp: now, CloudWatchMetrics: directives };
  return line;
}

/** The namespace the deployment configured (`METRICS_NAMESPACE`), else the default. */
export const metricsNamespace = (): string => process.env[METRICS_NAMESPACE_VARIABLE] || DEFAULT_METRICS_NAMESPACE;

/**
 * A failure of the server's own, whether answered with a 5xx, or with a page or a redirect carrying `server_error` or
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1): logged at error level, with its detail.
 */
function serverFailed(outcome: { status: number; error?: { error: string } }): boolean {
  return (
    outcome.status >= 500 ||
    outcome.error?.error === 'server_error' ||
    outcome.error?.error === 'temporarily_unavailable'
  );
}

/**
 * A deployed Lambda's request log: one EMF line per request. Written whatever the log level (it carries the
 * metrics); `AUTHZ_LOG=off` alone silences it.
 */
export const emfRequestLog: RequestLog = (record, outcome) => {
  if (!loggingOn()) return;
  const line = requestLine(record, outcome, metricsNamespace());
  writeLine(JSON.stringify(line), line.level === 'error' ? 'error' : 'info');
};

/**
 * A short human-readable line per request, for a developer's terminal (`npm start`): the workspace, route, status,
 * milliseconds and error code; a 5xx also shows its detail.
 */
export const textRequestLog: RequestLog = (record, outcome) => {
  if (!loggingOn()) return;
  const route = record.endpoint === OTHER_ENDPOINT ? record.route : record.endpoint;
  const error = errorDimension(outcome);
  const parts = [record.workspace, route, String(outcome.status), `${Date.now() - record.started}ms`];
  if (error !== undefined) parts.push(error);
  if (serverFailed(outcome) && outcome.error?.detail) parts.push(`(${outcome.error.detail})`);
  writeLine(parts.join(' '), serverFailed(outcome) ? 'error' : 'info');
};

/** No request lines (a quiet local server); audit events are still logged. */
export const noRequestLog: RequestLog = () => {};

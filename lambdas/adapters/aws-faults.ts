// Which AWS failures pass (throttling, timeouts, the service's own errors, a cut connection): 503, try again later.
import { TRY_AGAIN, temporarilyUnavailable } from '../core/errors.js';
import { NETWORK_ERRORS, THROTTLING_ERRORS } from './aws/errors.js';

/**
 * Error names of failures worth retrying later, as the clients raise them once their own retries are spent: every
 * name the clients retry as throttling, the clients' own timeout, and the services' modelled timeouts and trouble.
 */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  ...THROTTLING_ERRORS,
  // `AwsTimeoutError`: no connection, or no answer, in time.
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'ServiceUnavailable',
  'KMSInternalException',
  'DependencyTimeoutException',
]);

/** Reasons a DynamoDB transaction is cancelled for that are throttling, not a verdict on its conditions. */
const THROTTLED_REASONS: ReadonlySet<string> = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);

interface AwsErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly $fault?: 'client' | 'server';
  readonly statusCode?: number;
  readonly CancellationReasons?: readonly { readonly Code?: string }[];
}

/** Whether `err` is a failure that passes: retrying the same request later may well succeed. */
export function isTransientFault(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsErrorShape;
  if (e.name !== undefined && TRANSIENT_NAMES.has(e.name)) return true;
  // Socket failures, which the clients pass on as Node raises them.
  if (e.code !== undefined && NETWORK_ERRORS.has(e.code)) return true;
  if (e.name === 'TransactionCanceledException')
    return (e.CancellationReasons ?? []).some((r) => r.Code !== undefined && THROTTLED_REASONS.has(r.Code));
  // A 5xx of the service (`$fault: 'server'`), or a 429 whatever its name.
  return e.$fault === 'server' || e.statusCode === 429;
}

/** `err` as the endpoints should see it: a transient failure becomes `temporarily_unavailable`, the rest is unchanged. */
export function asServiceFailure(service: string, err: unknown): unknown {
  if (!isTransientFault(err)) return err;
  const { name = 'Error', code } = err as AwsErrorShape;
  // A socket error is named by its code (`ECONNRESET`); its message may carry addresses, so it stays out.
  return temporarilyUnavailable(TRY_AGAIN, `${service}: ${code ?? name}`);
}

/** Runs one AWS call; a transient failure of it is raised as `temporarily_unavailable`. */
export async function callService<T>(service: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw asServiceFailure(service, err);
  }
}

// The failures of the lean AWS clients: a service's modelled error, a timeout, or the socket's own error.

/** Why a DynamoDB transaction item refused to commit, as the service reports it (`Item` with a failed condition). */
export interface CancellationReason {
  readonly Code?: string;
  readonly Message?: string;
  readonly Item?: Record<string, unknown>;
}

/**
 * An error answer of an AWS service: `name` is the error's shape name (`ConditionalCheckFailedException`,
 * `ThrottlingException`, …), `$fault` whose side it is. DynamoDB adds the refused item (`Item`, with
 * `ReturnValuesOnConditionCheckFailure`) or a transaction's `CancellationReasons`.
 */
export class AwsServiceError extends Error {
  override readonly name: string;
  readonly $fault: 'client' | 'server';
  readonly statusCode: number;
  readonly Item?: Record<string, unknown>;
  readonly CancellationReasons?: readonly CancellationReason[];

  constructor(opts: {
    name: string;
    message?: string;
    statusCode: number;
    Item?: Record<string, unknown>;
    CancellationReasons?: readonly CancellationReason[];
  }) {
    super(opts.message ?? opts.name);
    this.name = opts.name;
    this.statusCode = opts.statusCode;
    this.$fault = opts.statusCode >= 500 ? 'server' : 'client';
    if (opts.Item !== undefined) this.Item = opts.Item;
    if (opts.CancellationReasons !== undefined) this.CancellationReasons = opts.CancellationReasons;
  }
}

/** A request that did not connect within its connection timeout or was not answered within its request timeout. */
export class AwsTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The error an answer of status `statusCode` carries. The shape name comes from `__type` (or the
 * `x-amzn-errortype` header) after its namespace (`com.amazonaws.dynamodb.v20120810#`) and before any `:`.
 */
export function serviceErrorOf(
  statusCode: number,
  body: Record<string, unknown>,
  errorTypeHeader: string | undefined,
): AwsServiceError {
  const type = typeof body.__type === 'string' ? body.__type : (errorTypeHeader ?? '');
  // The suffix goes first, as the SDK takes it off: it is a URL, which may itself hold a `#`.
  const name = type.split(':')[0]!.split('#').pop()!.trim() || (statusCode >= 500 ? 'ServiceError' : 'UnknownError');
  const message = typeof body.message === 'string' ? body.message : (body.Message as string | undefined);
  return new AwsServiceError({
    name,
    statusCode,
    ...(message !== undefined && { message }),
    ...(typeof body.Item === 'object' && body.Item !== null && { Item: body.Item as Record<string, unknown> }),
    ...(Array.isArray(body.CancellationReasons) && {
      CancellationReasons: body.CancellationReasons as CancellationReason[],
    }),
  });
}

/** Error names the SDK's standard retry strategy treats as throttling: retried, with the longer back-off. */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  // DynamoDB: the same transaction (same idempotency token) is still being committed by an earlier attempt.
  'TransactionInProgressException',
]);

/** Socket failures worth another attempt (a keep-alive connection the far end closed, a refused connect, …). */
export const NETWORK_ERRORS: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Whether another attempt of the same request may succeed: throttling, a 5xx, a timeout or a network error. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AwsServiceError)
    return err.$fault === 'server' || err.statusCode === 429 || THROTTLING_ERRORS.has(err.name);
  if (err instanceof AwsTimeoutError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_ERRORS.has(code);
}

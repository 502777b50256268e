// Counts the AWS calls that fail into the request that made them, for the KmsErrors and DynamoDbErrors metrics.
import type { AwsJsonClient } from './aws/json-client.js';
import { currentRequest } from './request-context.js';

/**
 * DynamoDB's answers to a condition or a concurrent transaction: the stores ask for them by design (single use,
 * replay detection, conflicts they retry), so they are outcomes, not failures.
 */
const EXPECTED: Readonly<Record<'kms' | 'dynamodb', readonly string[]>> = {
  kms: [],
  dynamodb: ['ConditionalCheckFailedException', 'TransactionCanceledException', 'TransactionConflictException'],
};

/** The reasons of a cancelled transaction that are such outcomes; any other (throttling, validation) is a failure. */
const EXPECTED_REASONS: ReadonlySet<string> = new Set(['ConditionalCheckFailed', 'TransactionConflict', 'None']);

/** Whether `err` is one of those outcomes rather than a failure of the call. */
function expected(service: 'kms' | 'dynamodb', err: unknown): boolean {
  const name = err instanceof Error ? err.name : '';
  if (!EXPECTED[service].includes(name)) return false;
  const reasons = (err as { CancellationReasons?: readonly { Code?: string }[] }).CancellationReasons;
  return name !== 'TransactionCanceledException' || (reasons ?? []).every((r) => EXPECTED_REASONS.has(r.Code ?? ''));
}

/**
 * Adds to `client` an interceptor that counts each call failing after the client's retries (throttling, 5xx,
 * timeouts, access denied, …) into the current request. Added first, so it is outermost: one failed call counts
 * once, retries included.
 */
export function countFailedCalls(client: AwsJsonClient): AwsJsonClient {
  const service = client.service === 'kms' ? 'kms' : 'dynamodb';
  return client.use(async (call, next) => {
    try {
      return await next(call);
    } catch (err) {
      const record = currentRequest();
      if (record && !expected(service, err)) record.counts[service === 'kms' ? 'kmsErrors' : 'dynamoDbErrors'] += 1;
      throw err;
    }
  });
}

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
      const name = err instanceof Error ? err.name : '';
      const record = currentRequest();
      if (record && !EXPECTED[service].includes(name))
        record.counts[service === 'kms' ? 'kmsErrors' : 'dynamoDbErrors'] += 1;
      throw err;
    }
  });
}

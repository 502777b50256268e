// Counts the AWS calls that fail into the request that made them, for the KmsErrors and DynamoDbErrors metrics.
import { currentRequest } from './request-context.js';

/**
 * DynamoDB's answers to a condition or a concurrent transaction: the stores ask for them by design (single use,
 * replay detection, conflicts they retry), so they are outcomes, not failures.
 */
const EXPECTED: Readonly<Record<'kms' | 'dynamodb', readonly string[]>> = {
  kms: [],
  dynamodb: ['ConditionalCheckFailedException', 'TransactionCanceledException', 'TransactionConflictException'],
};

/** What this needs of an AWS SDK v3 client's middleware stack, whatever its commands' input and output types. */
interface MiddlewareStack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string; override: boolean },
  ): void;
}

/**
 * Adds to `client` a middleware that counts each call failing after the SDK's retries (throttling, 5xx, timeouts,
 * access denied, …) into the current request. Outermost step, so one failed call counts once, retries included.
 */
export function countFailedCalls<C extends { readonly middlewareStack: object }>(
  client: C,
  service: 'kms' | 'dynamodb',
): C {
  (client.middlewareStack as MiddlewareStack).add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const name = err instanceof Error ? err.name : '';
        const record = currentRequest();
        if (record && !EXPECTED[service].includes(name))
          record.counts[service === 'kms' ? 'kmsErrors' : 'dynamoDbErrors'] += 1;
        throw err;
      }
    },
    { step: 'initialize', name: 'countFailedCalls', override: true },
  );
  return client;
}

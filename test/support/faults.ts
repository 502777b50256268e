// Fault injection on the real AWS clients (`AwsJsonClient`): an interceptor records every call a flow makes (operation
// and item kind) and can fail a chosen one the way the client would once its own retries are spent, with the errors
// the client raises for real answers, so the real storage and signing code runs.
import type { AwsCall, AwsJsonClient } from '../../lambdas/adapters/aws/json-client.js';
import { AwsTimeoutError, serviceErrorOf } from '../../lambdas/adapters/aws/errors.js';

/** What can go wrong with one call. */
export type FaultKind =
  /** DynamoDB: the table's capacity is exceeded. */
  | 'provisioned-throughput'
  /** DynamoDB or KMS: the account's request rate is exceeded. */
  | 'throttling'
  /** The client's request timeout: the request never answered. */
  | 'timeout'
  /** The connection was cut under the request (reset by the far end or on the way). */
  | 'abort'
  /** DynamoDB writes: a concurrent transaction on the same items, every time the write is tried. */
  | 'conflict'
  /** DynamoDB writes: the write is applied, but its answer never arrives (a timeout after the fact). */
  | 'lost-reply'
  /** KMS: an internal error of the service. */
  | 'kms-internal';

/** One call of a flow: `label` is the operation and the kind of item (`GetItem CODE`, `TransactWriteItems [...]`). */
export interface RecordedCall {
  readonly label: string;
  readonly write: boolean;
  readonly service: 'DynamoDB' | 'KMS';
  /** The items of a transaction, which DynamoDB gives one cancellation reason each. */
  readonly transactItems?: number;
}

/** Which call to fail: the `occurrence`-th (from 0) call labelled `label` after arming. */
export interface FaultTarget {
  readonly label: string;
  readonly occurrence: number;
  readonly kind: FaultKind;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

/** The item kind of a partition key as it goes on the wire (`{ S: 'CODE#…' }` → `CODE`). */
function kindOf(key: unknown): string {
  const pk = (key as { pk?: { S?: unknown } } | undefined)?.pk?.S;
  return typeof pk === 'string' ? (pk.split('#')[0] ?? '?') : '?';
}

type WireInput = AwsCall['input'] & {
  Key?: unknown;
  Item?: unknown;
  TransactItems?: Record<string, { Item?: unknown; Key?: unknown }>[];
  RequestItems?: Record<string, { Keys?: unknown[] }>;
};

function labelOf(call: AwsCall): string {
  const { operation: op } = call;
  if (call.service === 'kms') return `KMS ${op}`;
  const input = call.input as WireInput;
  if (input.Key) return `${op} ${kindOf(input.Key)}`;
  if (input.Item) return `${op} ${kindOf(input.Item)}`;
  if (input.TransactItems) {
    const kinds = input.TransactItems.map((t) => {
      const part = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
      const what = t.Put ? 'put' : t.Update ? 'update' : t.Delete ? 'delete' : 'check';
      return `${what} ${kindOf(part?.Item ?? part?.Key)}`;
    });
    return `${op} [${kinds.join(', ')}]`;
  }
  if (input.RequestItems) {
    const keys = Object.values(input.RequestItems).flatMap((r) => r.Keys ?? []);
    return `${op} [${keys.map(kindOf).join(', ')}]`;
  }
  return op;
}

/** DynamoDB's error types, namespaced as on the wire. */
const dynamoType = (shape: string) => `com.amazonaws.dynamodb.v20120810#${shape}`;

/**
 * The error the client raises for `kind` on `call`: a service's error answer goes through `serviceErrorOf` as a real
 * one does, a timeout is the client's own, a cut connection Node's socket error (for a conflict: what a single write
 * or a transaction gets).
 */
export function faultError(kind: FaultKind, call: RecordedCall): Error {
  switch (kind) {
    case 'provisioned-throughput':
      return serviceErrorOf(
        400,
        {
          __type: dynamoType('ProvisionedThroughputExceededException'),
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        },
        undefined,
      );
    case 'throttling':
      return call.service === 'KMS'
        ? serviceErrorOf(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, undefined)
        : serviceErrorOf(
            400,
            {
              __type: 'com.amazon.coral.availability#ThrottlingException',
              message: 'Throughput exceeds the account limit',
            },
            undefined,
          );
    case 'timeout':
    case 'lost-reply':
      // As the client raises it when its request timeout passes.
      return new AwsTimeoutError('no answer within 2000 ms');
    case 'abort':
      // As Node raises it for a connection reset under a request; the client passes it on as it is.
      return Object.assign(new Error('read ECONNRESET'), { errno: -104, code: 'ECONNRESET', syscall: 'read' });
    case 'conflict':
      return call.transactItems !== undefined
        ? serviceErrorOf(
            400,
            {
              __type: dynamoType('TransactionCanceledException'),
              message:
                'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]',
              // One reason per item, in order: the first collided, the others were fine.
              CancellationReasons: Array.from({ length: call.transactItems }, (_, i) =>
                i === 0
                  ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
                  : { Code: 'None' },
              ),
            },
            undefined,
          )
        : serviceErrorOf(
            400,
            { __type: dynamoType('TransactionConflictException'), message: 'Transaction is ongoing for the item' },
            undefined,
          );
    case 'kms-internal':
      return serviceErrorOf(500, { __type: 'KMSInternalException', message: 'An internal error occurred' }, undefined);
  }
}

/** The fault kinds that apply to a call. */
export function kindsFor(call: RecordedCall): FaultKind[] {
  if (call.service === 'KMS') return ['kms-internal', 'throttling', 'timeout'];
  const kinds: FaultKind[] = ['provisioned-throughput', 'throttling', 'timeout', 'abort'];
  return call.write ? [...kinds, 'conflict', 'lost-reply'] : kinds;
}

export interface FaultInjector {
  /** Every call since the last `reset`, in order. */
  readonly calls: RecordedCall[];
  /** Forgets the calls so far and arms `target` (or nothing): the occurrence counts from here. */
  reset(target?: FaultTarget): void;
  /** Whether the armed fault has been injected. */
  readonly fired: boolean;
}

/**
 * Adds the recording (and failing) interceptor to each client; one injector spans them, in call order. Interceptors
 * wrap the client's retries, so an injected fault is what the caller sees once they are spent.
 */
export function injectFaults(clients: { readonly dynamo: AwsJsonClient; readonly kms?: AwsJsonClient }): FaultInjector {
  let calls: RecordedCall[] = [];
  let target: FaultTarget | undefined;
  let seen = 0;
  let fired = false;
  /** A conflict is answered to the write's retries too, the way a race that keeps being lost is. */
  let conflicting: string | undefined;
  const interceptor = async (wire: AwsCall, next: (call: AwsCall) => Promise<Record<string, unknown>>) => {
    const label = labelOf(wire);
    const items = (wire.input as WireInput).TransactItems;
    const call: RecordedCall = {
      label,
      service: wire.service === 'kms' ? 'KMS' : 'DynamoDB',
      write: wire.service === 'dynamodb' && WRITES.has(wire.operation),
      ...(items !== undefined && { transactItems: items.length }),
    };
    calls.push(call);
    if (conflicting === label) throw faultError('conflict', call);
    if (target === undefined || target.label !== label || fired) return next(wire);
    if (seen++ !== target.occurrence) return next(wire);
    fired = true;
    if (target.kind === 'conflict') conflicting = label;
    if (target.kind === 'lost-reply') {
      await next(wire);
      throw faultError('lost-reply', call);
    }
    throw faultError(target.kind, call);
  };
  clients.dynamo.use(interceptor);
  clients.kms?.use(interceptor);
  return {
    get calls() {
      return calls;
    },
    get fired() {
      return fired;
    },
    reset(next) {
      calls = [];
      target = next;
      seen = 0;
      fired = false;
      conflicting = undefined;
    },
  };
}

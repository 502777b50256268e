// Fault injection on real SDK clients: a middleware records every call a flow makes (command and item kind) and can
// fail a chosen one the way the SDK would once its own retries are spent, so the real storage and signing code runs.
import {
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { KMSInternalException, KMSServiceException } from '@aws-sdk/client-kms';

/** What can go wrong with one call. */
export type FaultKind =
  /** DynamoDB: the table's capacity is exceeded. */
  | 'provisioned-throughput'
  /** DynamoDB or KMS: the account's request rate is exceeded. */
  | 'throttling'
  /** The HTTP handler's timeout: the request never answered. */
  | 'timeout'
  /** The request was aborted. */
  | 'abort'
  /** DynamoDB writes: a concurrent transaction on the same items, every time the write is tried. */
  | 'conflict'
  /** DynamoDB writes: the write is applied, but its answer never arrives (a timeout after the fact). */
  | 'lost-reply'
  /** KMS: an internal error of the service. */
  | 'kms-internal';

/** One call of a flow: `label` is the command and the kind of item (`GetItem CODE`, `TransactWriteItems CODE+GRANT`). */
export interface RecordedCall {
  readonly label: string;
  readonly write: boolean;
  readonly service: 'DynamoDB' | 'KMS';
}

/** Which call to fail: the `occurrence`-th (from 0) call labelled `label` after arming. */
export interface FaultTarget {
  readonly label: string;
  readonly occurrence: number;
  readonly kind: FaultKind;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

interface Stackable {
  middlewareStack: { add(middleware: any, options: { step: 'initialize'; name?: string }): void };
}

/** The item kind of a partition key (`CODE#…` → `CODE`), from marshalled or plain input. */
function kindOf(key: unknown): string {
  const pk = (key as { pk?: unknown } | undefined)?.pk;
  const text = typeof pk === 'string' ? pk : ((pk as { S?: string } | undefined)?.S ?? '?');
  return text.split('#')[0] ?? '?';
}

function labelOf(service: 'DynamoDB' | 'KMS', commandName: string, input: any): string {
  const op = commandName.replace(/Command$/, '');
  if (service === 'KMS') return `KMS ${op}`;
  if (input?.Key) return `${op} ${kindOf(input.Key)}`;
  if (input?.Item) return `${op} ${kindOf(input.Item)}`;
  if (input?.TransactItems) {
    const kinds = (input.TransactItems as any[]).map((t) => {
      const part = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
      const what = t.Put ? 'put' : t.Update ? 'update' : t.Delete ? 'delete' : 'check';
      return `${what} ${kindOf(part.Item ?? part.Key)}`;
    });
    return `${op} [${kinds.join(', ')}]`;
  }
  if (input?.RequestItems) {
    const keys = Object.values(input.RequestItems as Record<string, { Keys?: unknown[] }>).flatMap((r) => r.Keys ?? []);
    return `${op} [${keys.map(kindOf).join(', ')}]`;
  }
  return op;
}

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

/** The error the SDK raises for `kind` on `call` (for a conflict: what a single write or a transaction gets). */
export function faultError(kind: FaultKind, call: RecordedCall): Error {
  const $metadata = { httpStatusCode: 400, attempts: 3 };
  switch (kind) {
    case 'provisioned-throughput':
      return new ProvisionedThroughputExceededException({
        message: 'Throughput exceeds the provisioned rate',
        $metadata,
      });
    case 'throttling':
      return call.service === 'KMS'
        ? new KMSServiceException({
            name: 'ThrottlingException',
            $fault: 'client',
            message: 'Rate exceeded',
            $metadata,
          })
        : new ThrottlingException({ message: 'Throughput exceeds the account limit', $metadata });
    case 'timeout':
    case 'lost-reply':
      // As the Node HTTP handler raises it when `requestTimeout` passes.
      return named('TimeoutError', 'Connection timed out after 2000 ms');
    case 'abort':
      return named('AbortError', 'Request aborted');
    case 'conflict':
      return call.label.startsWith('TransactWriteItems')
        ? new TransactionCanceledException({
            message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
            $metadata,
            CancellationReasons: [{ Code: 'TransactionConflict' }],
          })
        : new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata });
    case 'kms-internal':
      return new KMSInternalException({ message: 'An internal error occurred', $metadata: { httpStatusCode: 500 } });
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

/** Adds the recording (and failing) middleware to each client; one injector spans them, in call order. */
export function injectFaults(clients: { readonly dynamo: Stackable; readonly kms?: Stackable }): FaultInjector {
  let calls: RecordedCall[] = [];
  let target: FaultTarget | undefined;
  let seen = 0;
  let fired = false;
  /** A conflict is answered to the write's retries too, the way a race that keeps being lost is. */
  let conflicting: string | undefined;
  const middleware =
    (service: 'DynamoDB' | 'KMS') =>
    (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
    async (args: { input: any }) => {
      const label = labelOf(service, context.commandName ?? '?', args.input);
      const call: RecordedCall = {
        label,
        service,
        write: service === 'DynamoDB' && WRITES.has(label.split(' ')[0]!),
      };
      calls.push(call);
      if (conflicting === label) throw faultError('conflict', call);
      if (target === undefined || target.label !== label || fired) return next(args);
      if (seen++ !== target.occurrence) return next(args);
      fired = true;
      if (target.kind === 'conflict') conflicting = label;
      if (target.kind === 'lost-reply') {
        await next(args);
        throw faultError('lost-reply', call);
      }
      throw faultError(target.kind, call);
    };
  clients.dynamo.middlewareStack.add(middleware('DynamoDB'), { step: 'initialize', name: 'faultInjection' });
  clients.kms?.middlewareStack.add(middleware('KMS'), { step: 'initialize', name: 'faultInjection' });
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

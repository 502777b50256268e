// Records the AWS calls a request makes, on one timeline: DynamoDB calls seen by an interceptor of the real client
// the stores use, and signatures seen at the workspace's signer, so tests can count calls and sequential round trips.
import { DynamoDb } from '../../lambdas/adapters/aws/dynamodb.js';
import type { AwsJsonClient } from '../../lambdas/adapters/aws/json-client.js';
import type { Signer } from '../../lambdas/core/ports/signing.js';

export interface AwsCall {
  /** `GetItem`, `BatchGetItem`, `TransactWriteItems`, … or `Sign`. */
  readonly op: string;
  /** The AWS service called, or `signer` for a signature made at the workspace's signer. */
  readonly service: 'dynamodb' | 'kms' | 'secretsmanager' | 'signer';
  /** The partition keys a DynamoDB call names (read or written). */
  readonly keys: readonly string[];
  /** Whether a DynamoDB read asked for strong consistency. */
  readonly consistent: boolean;
  readonly start: number;
  end: number;
  /**
   * Round trips on the longest chain of calls leading to this one, itself included: 1 + the most of any call that had
   * ended before this one started. Calls started together (in parallel) share a depth.
   */
  depth: number;
}

const READS = ['GetItem', 'BatchGetItem', 'Query', 'Scan'];

/** Every `pk` string value anywhere in a DynamoDB request body. */
function partitionKeys(body: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'pk' && typeof (v as { S?: unknown }).S === 'string') found.push((v as { S: string }).S);
        else visit(v);
      }
    }
  };
  visit(body);
  return found;
}

export class CallRecorder {
  readonly calls: AwsCall[] = [];
  #recording = false;
  /** Signatures held back until this many are in flight together (see `gatedSigner`). */
  #signBarrier = 1;
  #waiting: (() => void)[] = [];
  #signsInFlight = 0;
  /** The most signatures ever in flight at once while recording. */
  maxConcurrentSigns = 0;

  /** Records the calls `fn` makes (and only those). */
  async during<T>(fn: () => Promise<T>, opts: { signaturesTogether?: number } = {}): Promise<T> {
    this.calls.length = 0;
    this.maxConcurrentSigns = 0;
    this.#signBarrier = opts.signaturesTogether ?? 1;
    this.#recording = true;
    try {
      return await fn();
    } finally {
      this.#recording = false;
      this.#signBarrier = 1;
    }
  }

  #begin(service: AwsCall['service'], op: string, keys: readonly string[], consistent: boolean): AwsCall | undefined {
    if (!this.#recording) return undefined;
    const start = performance.now();
    const before = this.calls.filter((c) => c.end <= start).reduce((d, c) => Math.max(d, c.depth), 0);
    const call: AwsCall = { op, service, keys, consistent, start, end: Infinity, depth: before + 1 };
    this.calls.push(call);
    return call;
  }

  /**
   * Records every call `client` sends, with its operation and its wire input (marshalled keys). The interceptor wraps
   * a call once around the client's retries, so a retried call counts once (a hook per attempt would count each); the
   * flows measured here are not retried, so that is one call per request on the wire.
   */
  watch(client: DynamoDb | AwsJsonClient): void {
    (client instanceof DynamoDb ? client.client : client).use(async (call, next) => {
      const consistent = JSON.stringify(call.input).includes('"ConsistentRead":true');
      const recorded = this.#begin(call.service, call.operation, partitionKeys(call.input), consistent);
      try {
        return await next(call);
      } finally {
        if (recorded) recorded.end = performance.now();
      }
    });
  }

  /**
   * `signer`, recording its signatures. While `during` asks for `signaturesTogether`, a signature is held until that
   * many are in flight at once, so that signatures made concurrently are seen overlapping whatever the timing (one
   * that never gets company is let go after a second, and `maxConcurrentSigns` tells).
   */
  gatedSigner(signer: Signer): Signer {
    return {
      alg: signer.alg,
      publicJwk: () => signer.publicJwk(),
      sign: async (input) => {
        const call = this.#begin('signer', 'Sign', [], false);
        this.#signsInFlight++;
        this.maxConcurrentSigns = Math.max(this.maxConcurrentSigns, this.#signsInFlight);
        try {
          await new Promise<void>((release) => {
            this.#waiting.push(release);
            if (this.#waiting.length >= this.#signBarrier) for (const r of this.#waiting.splice(0)) r();
            else setTimeout(() => this.#waiting.includes(release) && this.#waiting.splice(0).forEach((r) => r()), 1000);
          });
          return await signer.sign(input);
        } finally {
          this.#signsInFlight--;
          if (call) call.end = performance.now();
        }
      },
    };
  }

  /** Calls by operation, e.g. `{ GetItem: 1, TransactWriteItems: 1, Sign: 2 }`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.calls) out[c.op] = (out[c.op] ?? 0) + 1;
    return out;
  }

  /** DynamoDB operations (reads and writes; signatures not counted). */
  dynamoOps(): number {
    return this.calls.filter((c) => c.service === 'dynamodb').length;
  }

  /** The deepest chain of calls: sequential round trips from the first call to the last. */
  roundTrips(): number {
    return this.calls.reduce((d, c) => Math.max(d, c.depth), 0);
  }

  /** Sequential read round trips: the deepest chain of DynamoDB reads, counting only reads. */
  readRoundTrips(): number {
    const reads = this.calls.filter((c) => READS.includes(c.op));
    const depth = new Map<AwsCall, number>();
    for (const c of reads) {
      const before = reads.filter((r) => r.end <= c.start).reduce((d, r) => Math.max(d, depth.get(r) ?? 0), 0);
      depth.set(c, before + 1);
    }
    return Math.max(0, ...depth.values());
  }

  /** The calls whose keys include one starting with `prefix` (`SESSION#`, `USER#`, `CODE#`, …). */
  touching(prefix: string): AwsCall[] {
    return this.calls.filter((c) => c.keys.some((k) => k.startsWith(prefix)));
  }
}

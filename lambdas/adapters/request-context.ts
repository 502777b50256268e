// What one request leaves for its log line, gathered while it runs and read once when it ends.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditEventType, AuditSink } from '../core/ports/audit.js';
import { OTHER_ENDPOINT } from './metrics-contract.js';

/** The counts a request line publishes as metrics; each is published only when above zero. */
export type RequestCounter = 'loginFailures' | 'loginThrottles' | 'replays' | 'kmsErrors' | 'dynamoDbErrors';

/** The audit events that are also counted, and what they count. */
const COUNTED_EVENTS: Partial<Record<AuditEventType, RequestCounter>> = {
  'login.failed': 'loginFailures',
  'login.throttled': 'loginThrottles',
  'code.replayed': 'replays',
  'refresh.replayed': 'replays',
  'assertion.replayed': 'replays',
};

/** Identifiers and outcomes only: nothing here is ever a token, code, secret or password. */
export class RequestRecord {
  /** When the event arrived, epoch milliseconds. */
  readonly started = Date.now();
  /** `{tenantId}/{workspaceId}`, once known. */
  workspace = 'unknown';
  /** The manifest route served, or `other`: a metric dimension, so its values are few and fixed. */
  endpoint: string = OTHER_ENDPOINT;
  /** `METHOD /resource` as the event named it; logged when it matched no route. */
  route = '';
  readonly counts: Record<RequestCounter, number> = {
    loginFailures: 0,
    loginThrottles: 0,
    replays: 0,
    kmsErrors: 0,
    dynamoDbErrors: 0,
  };
  /** Token responses issued, and the grant type of the last one (a request serves one grant). */
  tokensIssued = 0;
  grantType: string | undefined;

  constructor(readonly requestId: string) {}

  /** `sink`, also counting into this record the events that are metrics. */
  auditing(sink: AuditSink): AuditSink {
    return {
      emit: (type, fields) => {
        const counter = COUNTED_EVENTS[type];
        if (counter) this.counts[counter] += 1;
        if (type === 'token.issued') {
          this.tokensIssued += 1;
          this.grantType = typeof fields.grantType === 'string' ? fields.grantType : 'unknown';
        }
        sink.emit(type, fields);
      },
    };
  }
}

const scope = new AsyncLocalStorage<RequestRecord>();

/** The request being served in this async context, if any: for what cannot be handed the record (SDK middleware). */
export const currentRequest = (): RequestRecord | undefined => scope.getStore();

/** Runs `serve` with `record` as the current request of everything it awaits. */
export const withinRequest = <T>(record: RequestRecord, serve: () => Promise<T>): Promise<T> =>
  scope.run(record, serve);

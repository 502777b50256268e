// A counting pass-through on loopback in front of DynamoDB Local, so tests can count the round trips of unmodified
// SDK clients that reach it via AWS_ENDPOINT_URL_DYNAMODB.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The DynamoDB operations that write (or try to: a failed conditional write is a round trip all the same). */
export const WRITE_OPERATIONS: readonly string[] = [
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
];

export interface DynamoCounter {
  readonly endpoint: string;
  /** Every call by operation name (`GetItem`, `TransactWriteItems`, …). */
  readonly calls: Map<string, number>;
  stop(): Promise<void>;
}

/** Forwards every request to `target` (DynamoDB Local) unchanged, counting it by its `X-Amz-Target` operation. */
export async function startDynamoCounter(target: string): Promise<DynamoCounter> {
  const upstream = new URL(target);
  const calls = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
    calls.set(op, (calls.get(op) ?? 0) + 1);
    const forward = request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => res.destroy(err));
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

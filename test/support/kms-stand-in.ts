// A KMS stand-in on loopback speaking the KMS JSON protocol, so the lean KMS client (or the SDK's) reaches it through
// its endpoint (AWS_ENDPOINT_URL_KMS). It really signs, with keys held in memory.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';
import { FakeKmsKey } from '../kms/fake-kms.js';

/** A key as the stand-in serves it: a `FakeKmsKey`, or any object answering GetPublicKey (and Sign) the same way. */
export interface KmsKeyDouble {
  getPublicKey(keyId: string): {
    KeyId: string;
    KeySpec: string;
    KeyUsage: string;
    PublicKey: Uint8Array;
    SigningAlgorithms: string[];
  };
  sign?(input: { Message?: Uint8Array; MessageType?: string; SigningAlgorithm?: string }): Uint8Array;
}

/** One answer as the stand-in sends it: a status and a JSON body. */
export interface KmsAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface KmsStandIn {
  readonly endpoint: string;
  /** Every call by operation name (`Sign`, `GetPublicKey`), so tests can count round trips. */
  readonly calls: Map<string, number>;
  /** Every request received, in order, with its JSON input as sent (blobs in base64). */
  readonly requests: { readonly operation: string; readonly input: Record<string, unknown> }[];
  /** Makes the next `Sign` calls fail as KMS does for a disabled key (not retried by the clients). */
  failNextSigns(n: number): void;
  /** Answers the next calls of `operation` with these answers, in order, before answering as KMS again. */
  answerNext(operation: string, ...answers: KmsAnswer[]): void;
  stop(): Promise<void>;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function startKmsStandIn(keys: Readonly<Record<string, SigningAlg | KmsKeyDouble>>): Promise<KmsStandIn> {
  const held = new Map<string, KmsKeyDouble>(
    Object.entries(keys).map(([id, key]) => [id, typeof key === 'string' ? new FakeKmsKey(key) : key]),
  );
  const calls = new Map<string, number>();
  const requests: KmsStandIn['requests'] = [];
  const scripted = new Map<string, KmsAnswer[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace('TrentService.', '');
      calls.set(op, (calls.get(op) ?? 0) + 1);
      const input = JSON.parse(body || '{}') as {
        KeyId?: string;
        Message?: string;
        MessageType?: string;
        SigningAlgorithm?: string;
      };
      requests.push({ operation: op, input });
      const reply = (status: number, payload: unknown) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      const next = scripted.get(op)?.shift();
      if (next) return reply(next.status, next.body);
      const key = held.get(input.KeyId ?? '');
      if (!key) return reply(400, { __type: 'NotFoundException', message: `Key ${input.KeyId} not found` });
      if (op === 'GetPublicKey') {
        const out = key.getPublicKey(input.KeyId!);
        return reply(200, { ...out, PublicKey: b64(out.PublicKey) });
      }
      if (op === 'Sign' && key.sign) {
        const signature = key.sign({ ...input, Message: Buffer.from(input.Message ?? '', 'base64') });
        return reply(200, { KeyId: input.KeyId, Signature: b64(signature), SigningAlgorithm: input.SigningAlgorithm });
      }
      return reply(400, { __type: 'UnsupportedOperationException', message: op });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const answerNext = (operation: string, ...answers: KmsAnswer[]) =>
    void scripted.set(operation, [...(scripted.get(operation) ?? []), ...answers]);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    requests,
    failNextSigns: (n) =>
      answerNext(
        'Sign',
        ...Array.from({ length: n }, () => ({
          status: 400,
          body: { __type: 'DisabledException', message: 'The key is disabled' },
        })),
      ),
    answerNext,
    stop: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

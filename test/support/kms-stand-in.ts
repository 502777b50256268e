// A KMS stand-in on loopback speaking the KMS JSON protocol, so unmodified SDK clients reach it via AWS_ENDPOINT_URL_KMS.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';
import { FakeKmsKey } from '../kms/fake-kms.js';

export interface KmsStandIn {
  readonly endpoint: string;
  /** Every call by operation name (`Sign`, `GetPublicKey`), so tests can count round trips. */
  readonly calls: Map<string, number>;
  /** Makes the next `Sign` calls fail as KMS does for a disabled key (not retried by the SDK). */
  failNextSigns(n: number): void;
  stop(): Promise<void>;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function startKmsStandIn(keys: Readonly<Record<string, SigningAlg>>): Promise<KmsStandIn> {
  const held = new Map(Object.entries(keys).map(([id, alg]) => [id, new FakeKmsKey(alg)]));
  const calls = new Map<string, number>();
  let failures = 0;
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
      const reply = (status: number, payload: unknown) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      const key = held.get(input.KeyId ?? '');
      if (!key) return reply(400, { __type: 'NotFoundException', message: `Key ${input.KeyId} not found` });
      if (op === 'GetPublicKey') {
        const out = key.getPublicKey(input.KeyId!);
        return reply(200, { ...out, PublicKey: b64(out.PublicKey) });
      }
      if (op === 'Sign') {
        if (failures > 0) {
          failures--;
          return reply(400, { __type: 'DisabledException', message: 'The key is disabled' });
        }
        const signature = key.sign({ ...input, Message: Buffer.from(input.Message ?? '', 'base64') });
        return reply(200, { KeyId: input.KeyId, Signature: b64(signature), SigningAlgorithm: input.SigningAlgorithm });
      }
      return reply(400, { __type: 'UnsupportedOperationException', message: op });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failNextSigns: (n) => void (failures = n),
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

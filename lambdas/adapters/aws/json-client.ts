// A lean client of the AWS JSON protocol (DynamoDB, KMS, Secrets Manager): one signed POST per attempt over a
// keep-alive connection, with the SDK's standard retry rules, a connection and a request timeout, and interceptors
// around each call (metrics, and the tests' call recording and fault injection). See README, Performance.
import http from 'node:http';
import https from 'node:https';
import { type CredentialProvider, environmentCredentials } from './credentials.js';
import { AwsTimeoutError, THROTTLING_ERRORS, isRetryable, serviceErrorOf } from './errors.js';
import { signRequest } from './sigv4.js';

export type AwsService = 'dynamodb' | 'kms' | 'secretsmanager';

/** What a client needs to know of its service's protocol: one constant per service, so bundles carry only theirs. */
export interface AwsProtocol {
  /** Signing name and endpoint host prefix. */
  readonly name: AwsService;
  /** `X-Amz-Target` is `<prefix>.<operation>`. */
  readonly targetPrefix: string;
  readonly contentType: string;
  /** The SDK's service-specific endpoint variable, honoured the same way. */
  readonly endpointVariable: string;
}

export const DYNAMODB: AwsProtocol = {
  name: 'dynamodb',
  targetPrefix: 'DynamoDB_20120810',
  contentType: 'application/x-amz-json-1.0',
  endpointVariable: 'AWS_ENDPOINT_URL_DYNAMODB',
};

export const KMS: AwsProtocol = {
  name: 'kms',
  targetPrefix: 'TrentService',
  contentType: 'application/x-amz-json-1.1',
  endpointVariable: 'AWS_ENDPOINT_URL_KMS',
};

export const SECRETS_MANAGER: AwsProtocol = {
  name: 'secretsmanager',
  targetPrefix: 'secretsmanager',
  contentType: 'application/x-amz-json-1.1',
  endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

/** One call as it goes on the wire: the operation and its JSON input (DynamoDB values already marshalled). */
export interface AwsCall {
  readonly service: AwsService;
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
}

/** Wraps each call, retries included: it may look at the call, change it, answer it, or fail it. */
export type AwsInterceptor = (
  call: AwsCall,
  next: (call: AwsCall) => Promise<Record<string, unknown>>,
) => Promise<Record<string, unknown>>;

export interface AwsClientLimits {
  /** Attempts of one call, the first included. */
  readonly maxAttempts: number;
  readonly connectionTimeoutMs: number;
  /** From sending the request to the end of the answer, per attempt. */
  readonly requestTimeoutMs: number;
  /**
   * A call starts another attempt only if that attempt, back-off included, could end within this many milliseconds
   * of the call's start: the function keeps time for the rest of its request.
   */
  readonly callBudgetMs: number;
}

/**
 * Limits of the deployed clients. Without a request timeout a call that never answers holds the function until
 * Lambda's own timeout, and API Gateway answers a bare 5xx. With them, a failing call ends (in a
 * `temporarily_unavailable`) within 6 s, well inside the function's 10 s: another attempt starts only if it could
 * end by then. Failures answered at once (throttling) get all three attempts, a service that does not answer two.
 * DynamoDB and KMS answer in milliseconds.
 */
export const AWS_CLIENT_LIMITS: AwsClientLimits = {
  maxAttempts: 3,
  callBudgetMs: 6_000,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
};

export interface AwsJsonClientOptions {
  readonly service: AwsProtocol;
  /** @default AWS_REGION (or AWS_DEFAULT_REGION) from the environment */
  readonly region?: string;
  /** @default the service's endpoint variable, then AWS_ENDPOINT_URL, then the regional endpoint */
  readonly endpoint?: string;
  /** @default the environment's credentials */
  readonly credentials?: CredentialProvider;
  readonly limits?: Partial<AwsClientLimits>;
}

/** The regional endpoint of `service`, unless the environment configures one as the SDK reads it. */
export function endpointOf(protocol: AwsProtocol, region: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[protocol.endpointVariable] ?? env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  const fips = env.AWS_USE_FIPS_ENDPOINT === 'true' ? '-fips' : '';
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${protocol.name}${fips}.${region}.${domain}`;
}

/** Connections are kept alive and shared by every client of a container, as the SDK's handler does (50 sockets). */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 50 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 50 }),
} as const;

/** The longest back-off between attempts, as the SDK's (20 s). */
const MAX_BACKOFF_MS = 20_000;

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Answer {
  readonly status: number;
  readonly errorType: string | undefined;
  readonly body: string;
}

/** One POST, bounded by the connection and request timeouts. */
function post(url: URL, headers: Record<string, string>, body: string, limits: AwsClientLimits): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const agent = url.protocol === 'http:' ? AGENTS['http:'] : AGENTS['https:'];
    const request = (url.protocol === 'http:' ? http : https).request(
      // An IPv6 literal (`http://[::1]:8000`) is bracketed in a URL, not in a socket address.
      {
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || undefined,
        path: '/',
        method: 'POST',
        headers,
        agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          const errorType = response.headers['x-amzn-errortype'];
          resolve({
            status: response.statusCode ?? 0,
            errorType: Array.isArray(errorType) ? errorType[0] : errorType,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', fail);
      },
    );
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    // Both timers start once the request has a socket: time spent queued for one of the agent's sockets (many calls
    // at once in the local server) is neither connecting nor waiting for the service.
    let timer: NodeJS.Timeout | undefined;
    const awaitAnswer = () => {
      timer = setTimeout(
        () => request.destroy(new AwsTimeoutError(`no answer within ${limits.requestTimeoutMs} ms`)),
        limits.requestTimeoutMs,
      );
    };
    request.on('socket', (socket) => {
      if (!socket.connecting) return awaitAnswer();
      const connecting = setTimeout(
        () => request.destroy(new AwsTimeoutError(`no connection within ${limits.connectionTimeoutMs} ms`)),
        limits.connectionTimeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(connecting);
        awaitAnswer();
      });
      socket.once('close', () => clearTimeout(connecting));
    });
    request.on('error', fail);
    request.end(body);
  });
}

function parseBody(text: string): Record<string, unknown> | undefined {
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A client of one AWS service's JSON protocol. Created once per container; safe to share between requests. */
export class AwsJsonClient {
  readonly service: AwsService;
  readonly #protocol: AwsProtocol;
  readonly #options: AwsJsonClientOptions;
  readonly #credentials: CredentialProvider;
  readonly #limits: AwsClientLimits;
  readonly #interceptors: AwsInterceptor[] = [];
  /** The interceptors around the retries, composed when one is added rather than at every call. */
  #chain: (call: AwsCall) => Promise<Record<string, unknown>> = (call) => this.#withRetries(call);
  #target: { readonly region: string; readonly endpoint: URL } | undefined;

  constructor(opts: AwsJsonClientOptions) {
    this.service = opts.service.name;
    this.#protocol = opts.service;
    this.#options = opts;
    this.#credentials = opts.credentials ?? environmentCredentials;
    this.#limits = { ...AWS_CLIENT_LIMITS, ...opts.limits };
  }

  /** Region and endpoint, resolved at the first call (as the SDK does), so a client may be made before they are set. */
  get target(): { readonly region: string; readonly endpoint: URL } {
    if (this.#target === undefined) {
      const region = this.#options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new Error(`No region for the ${this.service} client (AWS_REGION).`);
      this.#target = { region, endpoint: new URL(this.#options.endpoint ?? endpointOf(this.#protocol, region)) };
    }
    return this.#target;
  }

  /** Adds an interceptor around every call; the first added is the outermost. */
  use(interceptor: AwsInterceptor): this {
    this.#interceptors.push(interceptor);
    this.#chain = this.#interceptors.reduceRight<(call: AwsCall) => Promise<Record<string, unknown>>>(
      (next, outer) => (call) => outer(call, next),
      (call) => this.#withRetries(call),
    );
    return this;
  }

  /** Sends `operation` with `input` (JSON on the wire) and returns the parsed answer; failures are thrown. */
  send(operation: string, input: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    return this.#chain({ service: this.service, operation, input });
  }

  /** The SDK's standard retry rules: throttling, 5xx, timeouts and network errors, with full-jitter back-off. */
  async #withRetries(call: AwsCall): Promise<Record<string, unknown>> {
    const started = Date.now();
    const { maxAttempts, callBudgetMs, requestTimeoutMs } = this.#limits;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(call);
      } catch (err) {
        if (attempt >= maxAttempts || !isRetryable(err)) throw err;
        const base = THROTTLING_ERRORS.has((err as Error).name) ? 500 : 100;
        const delay = Math.floor(Math.min(MAX_BACKOFF_MS, Math.random() * 2 ** (attempt - 1) * base));
        if (Date.now() - started + delay + requestTimeoutMs >= callBudgetMs) throw err;
        await pause(delay);
      }
    }
  }

  async #attempt(call: AwsCall): Promise<Record<string, unknown>> {
    const { region, endpoint } = this.target;
    const body = JSON.stringify(call.input);
    const headers = signRequest(
      {
        host: endpoint.host,
        headers: {
          'content-type': this.#protocol.contentType,
          'x-amz-target': `${this.#protocol.targetPrefix}.${call.operation}`,
        },
        body,
      },
      { service: this.#protocol.name, region, credentials: await this.#credentials(), date: new Date() },
    );
    headers['content-length'] = String(Buffer.byteLength(body));
    const answer = await post(endpoint, headers, body, this.#limits);
    const parsed = parseBody(answer.body);
    if (answer.status >= 200 && answer.status < 300) {
      if (parsed === undefined) throw new Error(`${this.service} ${call.operation}: the answer is not JSON`);
      return parsed;
    }
    throw serviceErrorOf(answer.status, parsed ?? {}, answer.errorType);
  }
}

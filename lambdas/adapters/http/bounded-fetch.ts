// One HTTP request to another party (a client's JWK Set, an upstream identity provider): timeout, size limit, no redirects.

/** The request failed or its answer was unusable; the message says why (for the logs, never for a client). */
export class FetchFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchFailed';
  }
}

export interface BoundedFetchOptions {
  /** How long the request may take, the body included, milliseconds. */
  readonly timeoutMs: number;
  /** The largest body accepted, bytes. */
  readonly maxBytes: number;
  /** The fetch to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface BoundedResponse {
  readonly status: number;
  /** The `content-type` header, when there is one. */
  readonly contentType: string | null;
  readonly text: string;
}

const isTimeout = (err: unknown): boolean => (err as { name?: unknown } | null)?.name === 'TimeoutError';

/**
 * Sends one request and reads at most `maxBytes` of the answer, whatever its status. Redirects are refused: the
 * configured URL is the one place the answer may come from.
 */
export async function boundedFetch(
  url: string,
  init: Omit<RequestInit, 'signal' | 'redirect'>,
  opts: BoundedFetchOptions,
): Promise<BoundedResponse> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, { ...init, signal, redirect: 'error' });
  } catch (err) {
    throw new FetchFailed(isTimeout(err) ? `no response within ${opts.timeoutMs} ms` : 'request failed');
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text: await readBody(res, opts) };
}

/** Reads at most `maxBytes`, counting as the body streams in: a declared length can lie or be absent. */
async function readBody(res: Response, opts: BoundedFetchOptions): Promise<string> {
  const tooLarge = () => new FetchFailed(`response larger than ${opts.maxBytes} bytes`);
  if (Number(res.headers.get('content-length')) > opts.maxBytes) {
    void res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > opts.maxBytes) {
        void reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof FetchFailed) throw err;
    throw new FetchFailed(isTimeout(err) ? `no response within ${opts.timeoutMs} ms` : 'response failed');
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A 200 answer's JSON; anything else fails. */
export async function fetchJson(
  url: string,
  init: Omit<RequestInit, 'signal' | 'redirect'>,
  opts: BoundedFetchOptions,
): Promise<unknown> {
  const res = await boundedFetch(url, init, opts);
  if (res.status !== 200) throw new FetchFailed(`status ${res.status}`);
  try {
    return JSON.parse(res.text);
  } catch {
    throw new FetchFailed('response is not JSON');
  }
}

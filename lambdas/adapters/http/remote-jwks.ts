// The ClientKeysFetcher over HTTP: a client's published JWK Set, fetched with a timeout and a size limit, cached per URI.
import type { ClientJwkSet } from '../../core/model.js';
import {
  ClientKeysUnavailable,
  type ClientKeySetOptions,
  type ClientKeysFetcher,
} from '../../core/ports/client-keys.js';
import { type Clock, systemClock } from '../../core/ports/clock.js';
import { isFields } from '../../core/registration/field-checker.js';
import { privateJwkMembers } from '../../core/registration/registration.js';

export interface RemoteJwksOptions {
  /** How long one fetch may take, the body included, milliseconds. @default 3000 */
  readonly timeoutMs?: number;
  /** The largest JWK Set accepted, bytes; a few keys take a few KiB. @default 65536 */
  readonly maxBytes?: number;
  /** How long a fetched set is served from memory, seconds. @default 300 */
  readonly cacheSeconds?: number;
  /** The least time between two fetches of one URI when asked to refresh (an unknown `kid`), seconds. @default 60 */
  readonly refreshIntervalSeconds?: number;
  /** Time source of the cache. @default systemClock */
  readonly clock?: Clock;
}

interface CachedSet {
  readonly set: ClientJwkSet;
  readonly fetchedAt: number;
}

const isTimeout = (err: unknown): boolean => (err as { name?: unknown } | null)?.name === 'TimeoutError';

/** A JWK Set whose every member is a JWK without private key material; anything else is refused whole. */
function jwkSetOf(value: unknown): ClientJwkSet {
  if (!isFields(value) || !Array.isArray(value.keys)) throw new ClientKeysUnavailable('response is not a JWK Set');
  for (const jwk of value.keys) {
    if (!isFields(jwk) || typeof jwk.kty !== 'string')
      throw new ClientKeysUnavailable('a member of the set is not a JWK');
    // A publisher that leaks private keys cannot be told apart from an attacker holding them.
    if (privateJwkMembers(jwk).length) throw new ClientKeysUnavailable('the set carries private key material');
  }
  return value as unknown as ClientJwkSet;
}

export class RemoteJwks implements ClientKeysFetcher {
  /** By URI. URIs come from client registrations, never from requests, so this stays as small as the client list. */
  private readonly cache = new Map<string, CachedSet>();
  /** Fetches under way: concurrent requests for one URI share one fetch. */
  private readonly inFlight = new Map<string, Promise<ClientJwkSet>>();
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly cacheMs: number;
  private readonly refreshMs: number;
  private readonly clock: Clock;

  constructor(opts: RemoteJwksOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024;
    this.cacheMs = (opts.cacheSeconds ?? 300) * 1000;
    this.refreshMs = (opts.refreshIntervalSeconds ?? 60) * 1000;
    this.clock = opts.clock ?? systemClock;
  }

  async keySet(uri: string, options: ClientKeySetOptions = {}): Promise<ClientJwkSet> {
    const hit = this.cache.get(uri);
    if (hit !== undefined) {
      const age = this.clock.now() - hit.fetchedAt;
      // A refresh fetches at most once per interval, so assertions naming made-up kids cannot make us hammer the client.
      if (age < this.cacheMs && !(options.refresh && age >= this.refreshMs)) return hit.set;
    }
    let fetching = this.inFlight.get(uri);
    if (fetching === undefined) {
      fetching = this.fetchSet(uri)
        .then((set) => {
          this.cache.set(uri, { set, fetchedAt: this.clock.now() });
          return set;
        })
        .finally(() => this.inFlight.delete(uri));
      this.inFlight.set(uri, fetching);
    }
    return fetching;
  }

  private async fetchSet(uri: string): Promise<ClientJwkSet> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      // No redirects: the registered URI is the one place the keys may come from.
      res = await fetch(uri, {
        signal,
        redirect: 'error',
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
    } catch (err) {
      throw new ClientKeysUnavailable(isTimeout(err) ? `no response within ${this.timeoutMs} ms` : 'request failed');
    }
    if (res.status !== 200) {
      void res.body?.cancel().catch(() => {});
      throw new ClientKeysUnavailable(`status ${res.status}`);
    }
    const text = await this.readBody(res);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ClientKeysUnavailable('response is not JSON');
    }
    return jwkSetOf(value);
  }

  /** Reads at most `maxBytes`, counting as the body streams in: a declared length can lie or be absent. */
  private async readBody(res: Response): Promise<string> {
    const tooLarge = () => new ClientKeysUnavailable(`response larger than ${this.maxBytes} bytes`);
    if (Number(res.headers.get('content-length')) > this.maxBytes) {
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
        if (size > this.maxBytes) {
          void reader.cancel().catch(() => {});
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof ClientKeysUnavailable) throw err;
      throw new ClientKeysUnavailable(isTimeout(err) ? `no response within ${this.timeoutMs} ms` : 'response failed');
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

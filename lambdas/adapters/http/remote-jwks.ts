// The ClientKeysFetcher over HTTP: a published JWK Set (a client's, an upstream provider's), fetched with a timeout and a size limit, cached per URI.
import type { ClientJwkSet } from '../../core/model.js';
import {
  ClientKeysUnavailable,
  type ClientKeySetOptions,
  type ClientKeysFetcher,
} from '../../core/ports/client-keys.js';
import { type Clock, systemClock } from '../../core/ports/clock.js';
import { FetchFailed, fetchJson } from './bounded-fetch.js';
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
  /** The fetch to use (tests route it to a handler). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

interface CachedSet {
  readonly set: ClientJwkSet;
  readonly fetchedAt: number;
}

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
  private readonly fetch: typeof fetch | undefined;

  constructor(opts: RemoteJwksOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024;
    this.cacheMs = (opts.cacheSeconds ?? 300) * 1000;
    this.refreshMs = (opts.refreshIntervalSeconds ?? 60) * 1000;
    this.clock = opts.clock ?? systemClock;
    this.fetch = opts.fetch;
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
    let value: unknown;
    try {
      value = await fetchJson(
        uri,
        { headers: { accept: 'application/jwk-set+json, application/json' } },
        { timeoutMs: this.timeoutMs, maxBytes: this.maxBytes, ...(this.fetch && { fetch: this.fetch }) },
      );
    } catch (err) {
      throw err instanceof FetchFailed ? new ClientKeysUnavailable(err.message) : err;
    }
    return jwkSetOf(value);
  }
}

// Where the public keys of clients that publish them at a URL (`jwksUri`) come from.
import type { ClientJwkSet } from '../model.js';

export interface ClientKeySetOptions {
  /**
   * An assertion names a key the served set lacks (the client may have rotated its keys): fetch the set
   * again. An adapter may serve the set it has instead when it fetched that set only a moment ago.
   * @default false
   */
  readonly refresh?: boolean;
}

/** Fetches client JWK Sets; an adapter may serve a set from a cache, and returns the same object while it does. */
export interface ClientKeysFetcher {
  /** The JWK Set published at `uri`; `ClientKeysUnavailable` when it cannot be fetched or is not a JWK Set of public keys. */
  keySet(uri: string, options?: ClientKeySetOptions): Promise<ClientJwkSet>;
}

/** The client's JWK Set could not be had; the message says why (for the logs, never for the client). */
export class ClientKeysUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientKeysUnavailable';
  }
}

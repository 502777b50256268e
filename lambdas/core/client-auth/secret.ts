// client_secret_basic and client_secret_post (RFC 6749 §2.3.1): a shared secret, compared with its stored hash.
import { verifyClientSecret } from '../crypto.js';
import { invalidClient } from '../errors.js';
import type { ClientRecord } from '../model.js';

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before being put in the Basic header. */
export function basicCredentials(value: string): { readonly clientId: string; readonly secret: string } {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1)
    throw invalidClient('The Basic authorization header is malformed.', 'Basic credentials without a colon');
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw invalidClient('The Basic authorization header is malformed.', 'Basic credentials not percent-decodable');
  }
}

/** Constant time, and as slow for an unknown client (compared with a decoy hash) as for a known one. */
export function secretMatches(secret: string, client: ClientRecord | undefined): boolean {
  return verifyClientSecret(secret, client?.secretHash);
}

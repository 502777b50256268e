// Every partition key of the workspace table is built here, so the layout can be read in one place.
import { usernameKey } from '../../core/registration/registration.js';

/**
 * Escapes the separator inside a key component. Only composite keys need it: without it,
 * consent of sub `a#b` for client `c` and of sub `a` for client `b#c` would share one item.
 */
const part = (value: string): string => value.replace(/%/g, '%25').replace(/#/g, '%23');

export const keys = {
  /** An authorization transaction, by its id. */
  transaction: (id: string) => `TXN#${id}`,
  /** An authorization code, by the SHA-256 of the code. */
  code: (codeHash: string) => `CODE#${codeHash}`,
  /** A grant (token family), by its id. */
  grant: (grantId: string) => `GRANT#${grantId}`,
  /** A refresh token, by the SHA-256 of the token. */
  refreshToken: (tokenHash: string) => `RT#${tokenHash}`,
  /** An access token revoked before its expiry (RFC 7009), by its `jti`. */
  revokedAccessToken: (jti: string) => `REVOKED#${jti}`,
  /** A browser session, by the SHA-256 of the session cookie value. */
  session: (idHash: string) => `SESSION#${idHash}`,
  /** The scopes a user granted a client. */
  consent: (sub: string, clientId: string) => `CONSENT#${part(sub)}#${part(clientId)}`,
  client: (clientId: string) => `CLIENT#${clientId}`,
  /** A user, by the stable subject identifier. */
  user: (sub: string) => `USER#${sub}`,
  /** Username → sub, by `usernameKey` (case-insensitive); its conditional put is what keeps usernames unique. */
  username: (username: string) => `USERNAME#${usernameKey(username)}`,
  /** A failed-login counter, by throttle key (`user:…`, `ip:…`). */
  throttle: (key: string) => `THROTTLE#${key}`,
  /** A single-use item, by its kind (`par`, `jti`, …) and its id within that kind. */
  singleUse: (kind: string, id: string) => `ONCE#${part(kind)}#${part(id)}`,
} as const;

/** Key prefixes of the item types the admin tooling lists by scanning. */
export const prefixes = {
  client: keys.client(''),
  user: keys.user(''),
} as const;

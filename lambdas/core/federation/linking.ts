// Linking an upstream account to its local user: by (source, upstream sub) only, claims mapped and refreshed.
import { ConditionFailed } from '../errors.js';
import { newId } from '../crypto.js';
import type { UpstreamLink, UserRecord } from '../model.js';
import type { LinkedUsers } from '../ports/storage.js';
import type { IdentitySourceSettings } from './identity-sources.js';

/** The username of a linked user: unique per link, and what the admin tooling names it by. */
export const linkedUsername = (link: UpstreamLink): string => `${link.sourceId}:${link.sub}`;

/** The local claims from the upstream ones, through the source's map; absent upstream claims stay absent. */
export function mappedClaims(
  source: Pick<IdentitySourceSettings, 'claims'>,
  upstream: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [local, name] of Object.entries(source.claims)) {
    if (Object.hasOwn(upstream, name) && upstream[name] !== undefined && upstream[name] !== null)
      out[local] = upstream[name];
  }
  return out;
}

/** The local claims fed by the given upstream claims. */
export function localClaimsOf(source: Pick<IdentitySourceSettings, 'claims'>, upstream: readonly string[]): string[] {
  return Object.entries(source.claims)
    .filter(([, name]) => upstream.includes(name))
    .map(([local]) => local);
}

/**
 * The local user of an upstream account: created at its first sign-in with a fresh, stable `sub`, its claims
 * replaced by the mapped ones at every later one, but for the `keep` ones the upstream could not tell this time,
 * whose stored values stay. A disabled user is returned as it is, unchanged, for the caller to refuse. Never
 * matched by email or any other claim: only the link finds a user.
 */
export async function linkedUser(
  store: LinkedUsers,
  link: UpstreamLink,
  claims: Readonly<Record<string, unknown>>,
  keep: readonly string[] = [],
): Promise<{ readonly user: UserRecord; readonly created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const found = await store.findLinked(link);
    if (found?.disabled) return { user: found, created: false };
    if (found) {
      const kept = Object.fromEntries(
        keep.filter((n) => found.claims[n] !== undefined).map((n) => [n, found.claims[n]]),
      );
      try {
        return { user: await store.refreshClaims(found.sub, { ...kept, ...claims }), created: false };
      } catch (err) {
        // Disabled (or removed) between the read and the write: read it again and decide on what is there now.
        if (!(err instanceof ConditionFailed) || attempt > 1) throw err;
        continue;
      }
    }
    const user: UserRecord = { sub: newId(), username: linkedUsername(link), link, claims };
    try {
      await store.createLinked(user);
      return { user, created: true };
    } catch (err) {
      // A concurrent first sign-in of the same account created it first: use that one.
      if (!(err instanceof ConditionFailed) || attempt > 1) throw err;
    }
  }
}

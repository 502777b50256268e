// The upstream leg of a sign-in in flight: what is kept between leaving for the source and coming back.

/** Stored as a single-use item under the hash of its `state`, so a callback is answered at most once. */
export type UpstreamLeg = {
  readonly txnId: string;
  readonly sourceId: string;
  readonly nonce: string;
  /** The PKCE verifier of the upstream code (RFC 7636). */
  readonly verifier: string;
  /** The browser that left, as the transaction binds it: only it may come back. */
  readonly browserHash: string;
};

/** The single-use kind of upstream legs. */
export const UPSTREAM_LEG = 'upstream';

/** The one redirect URI registered at every source. */
export const callbackUrl = (issuer: string): string => `${issuer}/federation/callback`;

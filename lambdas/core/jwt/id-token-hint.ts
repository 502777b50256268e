// id_token_hint (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token this workspace issued, presented to name a user.
import { compactVerify } from 'jose';
import { OAuthError, invalidRequest } from '../errors.js';
import type { Workspace } from '../workspace.js';
import { signingAlgs, verificationKeys } from './key-set.js';

export interface IdTokenHint {
  /** The user it names. */
  readonly sub: string;
  /** The client it was issued to (`azp`, else `aud`). */
  readonly clientId: string;
}

/**
 * The user and client an id_token_hint names, if this workspace issued it as an ID token (its keys, its issuer,
 * `typ: JWT`, so never an access token). Its expiry is not checked: both specifications accept an expired ID token
 * as a hint, and a hint only ever names, never grants. Anything else is `invalid_request`.
 */
export async function verifyIdTokenHint(ws: Pick<Workspace, 'issuer' | 'keys'>, hint: string): Promise<IdTokenHint> {
  // Outside the try: a key that cannot be loaded is the server's failure, not the hint's.
  const keys = await verificationKeys(ws);
  const refused = (why: string) => invalidRequest('The id_token_hint is not an ID token of this server.', why);
  let claims: Record<string, unknown>;
  try {
    const { payload, protectedHeader } = await compactVerify(hint, keys, { algorithms: signingAlgs(ws) });
    if (protectedHeader.typ !== 'JWT') throw refused('id_token_hint is not an ID token');
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    throw refused(`id_token_hint verification failed: ${(err as { code?: string }).code ?? 'malformed'}`);
  }
  const { iss, sub, aud, azp } = claims ?? {};
  const clientId = typeof azp === 'string' ? azp : typeof aud === 'string' ? aud : undefined;
  if (iss !== ws.issuer || typeof sub !== 'string' || clientId === undefined) throw refused('id_token_hint claims');
  return { sub, clientId };
}

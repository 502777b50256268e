// Finishing an authorization: issuing the code and redirecting back to the client (RFC 6749 §4.1.2, RFC 9207).
import { hashToken, newId, randomValues } from '../../crypto.js';
import { redirect, type CoreResponse } from '../../http.js';
import { responseError, type OAuthError } from '../../errors.js';
import type { AuthorizationRequest, ClientRecord, CodeRecord, ConsentRecord } from '../../model.js';
import { tokenAudience } from '../../resource-indicators.js';
import { nowSeconds, type Workspace } from '../../workspace.js';

/**
 * The client's redirect URI with the response parameters appended; the registered URI, query included,
 * is kept exactly as registered (RFC 6749 §3.1.2), never re-serialized. Post-logout redirects are built the same way.
 */
export function responseLocation(redirectUri: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.append(k, v);
  const text = query.toString();
  return text ? `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${text}` : redirectUri;
}

type Target = Pick<AuthorizationRequest, 'redirectUri' | 'state'>;

export function errorRedirect(ws: Workspace, target: Target, err: OAuthError, status: 302 | 303): CoreResponse {
  return {
    ...redirect(
      responseLocation(target.redirectUri, {
        error: err.error,
        error_description: err.description,
        state: target.state,
        iss: ws.issuer,
      }),
      status,
    ),
    error: responseError(err),
  };
}

/**
 * Consent is asked when the request says `prompt=consent` (of first-party clients too), and otherwise unless the
 * client is first-party or the user's earlier consent already covers every scope. A request for no scopes has
 * nothing to consent to, whatever `prompt` says. The remembered consent is read only when that decides it
 * (`rememberedConsentDecides`): `remembered` is that record, undefined when there is none or it was not read.
 */
export function needsConsent(
  client: ClientRecord,
  request: AuthorizationRequest,
  remembered: ConsentRecord | undefined,
): boolean {
  if (request.scopes.length === 0) return false;
  if (request.prompt.includes('consent')) return true;
  if (client.firstParty) return false;
  return !request.scopes.every((s) => remembered?.scopes.includes(s));
}

/** Whether `needsConsent` depends on the consent the user gave the client earlier. */
export const rememberedConsentDecides = (client: ClientRecord, request: AuthorizationRequest): boolean =>
  request.scopes.length > 0 && !request.prompt.includes('consent') && !client.firstParty;

/** `needsConsent`, reading the remembered consent when it decides. */
export async function consentNeeded(
  ws: Workspace,
  client: ClientRecord,
  request: AuthorizationRequest,
  sub: string,
): Promise<boolean> {
  const remembered = rememberedConsentDecides(client, request)
    ? await ws.interactions.getConsent(sub, client.clientId)
    : undefined;
  return needsConsent(client, request, remembered);
}

export interface Authentication {
  readonly sub: string;
  readonly authTime: number;
}

export async function issueCodeAndRedirect(
  ws: Workspace,
  client: ClientRecord,
  request: AuthorizationRequest,
  user: Authentication,
  opts: { transactionId?: string; consent?: ConsentRecord; status: 302 | 303; cookies?: string[] },
): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  const code = randomValues.code();
  const audience = tokenAudience(request.resources, client, ws);
  const record: CodeRecord = {
    codeHash: hashToken(code),
    grantId: newId(),
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    redirectUriSent: request.redirectUriSent,
    scopes: request.scopes,
    sub: user.sub,
    authTime: user.authTime,
    audience,
    expiresAt: now + ws.settings.codeTtl,
    ...(request.nonce !== undefined && { nonce: request.nonce }),
    ...(request.codeChallenge !== undefined && { codeChallenge: request.codeChallenge }),
  };
  await ws.grants.issueCode(record, { transactionId: opts.transactionId, consent: opts.consent }, now);
  return redirect(
    responseLocation(request.redirectUri, { code, state: request.state, iss: ws.issuer }),
    opts.status,
    opts.cookies,
  );
}

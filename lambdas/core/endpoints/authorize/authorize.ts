// GET /oauth2/authorize: validates the request, then answers from the SSO session or starts a login/consent transaction.
import { BROWSER_COOKIE, SESSION_COOKIE, browserCookie, readCookie } from '../../cookies.js';
import { hashToken, randomToken } from '../../crypto.js';
import { UnverifiedRedirectError, consentRequired, loginRequired, toOAuthError } from '../../errors.js';
import { redirect, type CoreRequest, type CoreResponse } from '../../http.js';
import type { AuthorizationRequest, ClientRecord, TransactionRecord } from '../../model.js';
import { errorPage } from '../../pages/html.js';
import { optional, type Params } from '../../params.js';
import { nowSeconds, type Workspace } from '../../workspace.js';
import {
  checkClient,
  checkMaxAge,
  checkPkce,
  checkPrompt,
  checkRedirectUri,
  checkResources,
  checkResponseType,
  checkScope,
  checkUnsupportedRequestObjects,
} from './checks.js';
import { consentNeeded, errorRedirect, issueCodeAndRedirect } from './respond.js';

function parseRequest(params: Params, client: ClientRecord, target: Pick<AuthorizationRequest, 'redirectUri' | 'redirectUriSent'>, state: string | undefined): AuthorizationRequest {
  checkUnsupportedRequestObjects(params);
  checkResponseType(params, client);
  const request: AuthorizationRequest = {
    clientId: client.clientId,
    ...target,
    scopes: checkScope(params, client),
    codeChallenge: checkPkce(params),
    codeChallengeMethod: 'S256',
    prompt: checkPrompt(params),
    resources: checkResources(params, client),
  };
  const maxAge = checkMaxAge(params);
  const nonce = optional(params, 'nonce');
  const loginHint = optional(params, 'login_hint');
  return {
    ...request,
    ...(state !== undefined && { state }),
    ...(nonce !== undefined && { nonce }),
    ...(maxAge !== undefined && { maxAge }),
    ...(loginHint !== undefined && { loginHint }),
  };
}

/** With a usable session and nothing to consent to, the code is issued right away (SSO); otherwise a transaction starts. */
async function proceed(req: CoreRequest, ws: Workspace, client: ClientRecord, request: AuthorizationRequest): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  const sid = readCookie(req, SESSION_COOKIE);
  const found = sid ? await ws.store.getSession(hashToken(sid), now) : undefined;
  const fresh = found && !request.prompt.includes('login') && (request.maxAge === undefined || now - found.authTime <= request.maxAge);
  // A session outlives changes to its user: one disabled or removed since signing in no longer counts.
  const user = fresh ? await ws.users.findBySub(found.sub) : undefined;
  const session = user && !user.disabled ? found : undefined;
  if (session && !(await consentNeeded(ws, client, request, session.sub))) {
    return issueCodeAndRedirect(ws, client, request, session, { status: 302 });
  }
  if (request.prompt.includes('none')) {
    const error = session ? consentRequired('The user has not consented.') : loginRequired('The user is not signed in.');
    return errorRedirect(ws, request, error, 302);
  }
  const browser = readCookie(req, BROWSER_COOKIE) ?? randomToken();
  const txn: TransactionRecord = {
    id: randomToken(16),
    request,
    csrf: randomToken(),
    browserHash: hashToken(browser),
    expiresAt: now + ws.settings.transactionTtl,
    ...(session && { sub: session.sub, authTime: session.authTime, sessionHash: session.idHash }),
  };
  await ws.store.putTransaction(txn);
  return redirect(`${ws.issuer}/consent?txn=${encodeURIComponent(txn.id)}`, 302, [browserCookie(req, ws, browser)]);
}

export async function authorize(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  const params = req.query;
  let client: ClientRecord;
  let target: ReturnType<typeof checkRedirectUri>;
  try {
    client = await checkClient(params, ws);
    target = checkRedirectUri(params, client);
  } catch (err) {
    if (err instanceof UnverifiedRedirectError) return errorPage(400, 'This sign-in link is not valid', err.description);
    throw err;
  }
  let state: string | undefined;
  try {
    state = optional(params, 'state');
    return await proceed(req, ws, client, parseRequest(params, client, target, state));
  } catch (err) {
    const e = toOAuthError(err);
    if (!e.expose) throw err;
    return errorRedirect(ws, { redirectUri: target.redirectUri, state }, e, 302);
  }
}

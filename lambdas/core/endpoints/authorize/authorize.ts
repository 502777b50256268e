// GET and POST /oauth2/authorize: takes a pushed request or validates a plain one, then answers from the SSO session or starts a login/consent transaction.
import { BROWSER_COOKIE, SESSION_COOKIE, browserCookie, readCookie } from '../../cookies.js';
import { hashToken, randomToken } from '../../crypto.js';
import {
  UnverifiedRedirectError,
  consentRequired,
  invalidRequest,
  loginRequired,
  responseError,
  toOAuthError,
  unverifiedInvalidRequest,
} from '../../errors.js';
import { isFormBody, parseForm, redirect, type CoreRequest, type CoreResponse } from '../../http.js';
import type { AuthorizationRequest, ClientRecord, TransactionRecord } from '../../model.js';
import { pageContext, uiLocalesOf, wayBack } from '../../pages/context.js';
import { errorPage } from '../../pages/html.js';
import type { Params } from '../../params.js';
import { stillSignedIn } from '../../user-status.js';
import { nowSeconds, type Workspace } from '../../workspace.js';
import { checkClientRegistered, checkRedirectUriRegistered, checkStateSingleAndBounded } from './checks.js';
import { takePushedRequest } from './pushed-requests.js';
import {
  authorizationRequestDraft,
  validateAuthorizationRequest,
  type AuthorizationRequestDraft,
  type RedirectTarget,
} from './request.js';
import { consentNeeded, errorRedirect, issueCodeAndRedirect } from './respond.js';

/**
 * The parameters of an authorization request: its query, or for a POST its form (OIDC Core §3.1.2.1), never both.
 * Until the client is verified nothing may redirect, so a POST that is not a form is refused with a page.
 */
function requestParams(req: CoreRequest): Params {
  if (req.method !== 'POST') return req.query;
  if (!isFormBody(req))
    throw unverifiedInvalidRequest('The sign-in request must be sent as a form.', 'body not form-urlencoded');
  return parseForm(req.body);
}

/** 303 answers a POST, so that the browser follows with a GET; a GET is answered with 302, as it always was. */
const redirectStatus = (req: CoreRequest): 302 | 303 => (req.method === 'POST' ? 303 : 302);

/** With a usable session and nothing to consent to, the code is issued right away (SSO); otherwise a transaction starts. */
async function answerFromSessionOrStartInteraction(
  req: CoreRequest,
  ws: Workspace,
  client: ClientRecord,
  request: AuthorizationRequest,
): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  const status = redirectStatus(req);
  const sid = readCookie(req, SESSION_COOKIE);
  const found = sid ? await ws.interactions.getSession(hashToken(sid), now) : undefined;
  // The session answers only for the user an id_token_hint names; for anyone else it is as if there were none.
  const fresh =
    found &&
    !request.prompt.includes('login') &&
    (request.maxAge === undefined || now - found.authTime <= request.maxAge) &&
    (request.idTokenHintSub === undefined || request.idTokenHintSub === found.sub);
  // A session outlives changes to its user: one disabled, removed or signed out since signing in no longer counts.
  const user = fresh ? await ws.users.findBySub(found.sub) : undefined;
  const session = fresh && stillSignedIn(user, found.authTime) ? found : undefined;
  if (session && !(await consentNeeded(ws, client, request, session.sub))) {
    return issueCodeAndRedirect(ws, client, request, session, { status });
  }
  if (request.prompt.includes('none')) {
    const error = session
      ? consentRequired('The user has not consented.', 'prompt=none, consent missing')
      : loginRequired('The user is not signed in.', 'prompt=none, no usable session');
    return errorRedirect(ws, request, error, status);
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
  await ws.interactions.putTransaction(txn);
  return redirect(`${ws.issuer}/consent?txn=${encodeURIComponent(txn.id)}`, status, [browserCookie(req, ws, browser)]);
}

/** A request that was not pushed: refused where PAR is required (RFC 9126 §5, §6), otherwise checked (request.ts). */
async function validatePlainRequest(
  params: Params,
  client: ClientRecord,
  draft: AuthorizationRequestDraft,
  ws: Workspace,
): Promise<AuthorizationRequest> {
  if (client.requirePar || ws.settings.requirePushedAuthorizationRequests) {
    // Read first, so that the refusal carries the state back like any other redirected error.
    checkStateSingleAndBounded(draft, params);
    throw invalidRequest(
      'Authorization requests must be pushed first (PAR, RFC 9126) and referred to by request_uri.',
      client.requirePar ? `client ${client.clientId} requires PAR` : 'workspace requires PAR',
    );
  }
  return validateAuthorizationRequest(params, client, draft, ws);
}

export async function authorize(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  let params: Params | undefined;
  let client: ClientRecord | undefined;
  let pushed: AuthorizationRequest | undefined;
  let target: RedirectTarget;
  // Stage 1: until the client and its redirect URI are verified, an error is a page, never a redirect. A pushed
  // request had its redirect URI verified when it was pushed; its other parameters are ignored here (RFC 9126 §4).
  try {
    params = requestParams(req);
    client = await checkClientRegistered(params, ws);
    pushed = await takePushedRequest(params, client, ws);
    target = pushed ?? checkRedirectUriRegistered(params, client);
  } catch (err) {
    if (err instanceof UnverifiedRedirectError) {
      return errorPage(
        pageContext(ws, req, uiLocalesOf(params ?? (req.method === 'POST' ? undefined : req.query))),
        400,
        { title: 'error.invalidLink.title', text: 'error.invalidLink.message', back: wayBack(client) },
        { ...responseError(err), description: err.description },
      );
    }
    throw err;
  }
  // Stage 2: a pushed request was checked when it was pushed; a plain one gets the redirectable checks. An error
  // goes back to the client with the state read so far.
  const draft = authorizationRequestDraft(client, target);
  try {
    const request = pushed ?? (await validatePlainRequest(params, client, draft, ws));
    return await answerFromSessionOrStartInteraction(req, ws, client, request);
  } catch (err) {
    const e = toOAuthError(err);
    if (!e.expose) throw err;
    return errorRedirect(ws, pushed ?? draft, e, redirectStatus(req));
  }
}

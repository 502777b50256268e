// GET and POST /oauth2/authorize: takes a pushed request or validates a plain one, then answers from the SSO session or starts a login/consent transaction.
import { BROWSER_COOKIE, SESSION_COOKIE, browserCookie, readCookie, sessionSubHint } from '../../cookies.js';
import { hashToken, randomValues } from '../../crypto.js';
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
import type { AuthorizationRequest, ClientRecord, SessionRecord, TransactionRecord } from '../../model.js';
import type { SignedInState } from '../../ports/storage.js';
import { pageContext, uiLocalesOf, wayBack } from '../../pages/context.js';
import { errorPage, failurePage } from '../../pages/html.js';
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
import { errorRedirect, issueCodeAndRedirect, needsConsent, rememberedConsentDecides } from './respond.js';

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

/**
 * The browser's session, if it may answer this request: live, fresh enough for `prompt` and `max_age`, of the user an
 * id_token_hint names (for anyone else it is as if there were none), and its user still signed in (a session outlives
 * changes to its user: one disabled, removed or signed out since signing in no longer counts). Read in one round trip
 * when the session id names its user (`newSessionId`): the session, the user and, when it decides, their consent;
 * otherwise the session first, then the user and consent together.
 */
async function signedInSession(
  req: CoreRequest,
  ws: Workspace,
  client: ClientRecord,
  request: AuthorizationRequest,
  now: number,
): Promise<{ session?: SessionRecord; consentNeeded?: boolean }> {
  const sid = readCookie(req, SESSION_COOKIE);
  if (!sid || request.prompt.includes('login')) return {};
  const sessionHash = hashToken(sid);
  const answersFor = (sub: string) => request.idTokenHintSub === undefined || request.idTokenHintSub === sub;
  const consentClientId = rememberedConsentDecides(client, request) ? client.clientId : undefined;
  const hint = sessionSubHint(sid);
  let state: SignedInState;
  if (hint !== undefined) {
    if (!answersFor(hint)) return {};
    state = await ws.interactions.signedInState({ sub: hint, sessionHash, consentClientId }, now);
  } else {
    const found = await ws.interactions.getSession(sessionHash, now);
    if (!found || !answersFor(found.sub)) return {};
    state = { ...(await ws.interactions.signedInState({ sub: found.sub, consentClientId }, now)), session: found };
  }
  const { session, user } = state;
  const fresh =
    session !== undefined &&
    session.sub === user?.sub &&
    answersFor(session.sub) &&
    (request.maxAge === undefined || now - session.authTime <= request.maxAge);
  if (!fresh || !stillSignedIn(user, session.authTime)) return {};
  return { session, consentNeeded: needsConsent(client, request, state.consent) };
}

/** With a usable session and nothing to consent to, the code is issued right away (SSO); otherwise a transaction starts. */
async function answerFromSessionOrStartInteraction(
  req: CoreRequest,
  ws: Workspace,
  client: ClientRecord,
  request: AuthorizationRequest,
): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  const status = redirectStatus(req);
  const { session, consentNeeded } = await signedInSession(req, ws, client, request, now);
  if (session && !consentNeeded) {
    return issueCodeAndRedirect(ws, client, request, session, { status });
  }
  if (request.prompt.includes('none')) {
    const error = session
      ? consentRequired('The user has not consented.', 'prompt=none, consent missing')
      : loginRequired('The user is not signed in.', 'prompt=none, no usable session');
    return errorRedirect(ws, request, error, status);
  }
  const browser = readCookie(req, BROWSER_COOKIE) ?? randomValues.browserBinding();
  const txn: TransactionRecord = {
    id: randomValues.transactionId(),
    request,
    csrf: randomValues.formToken(),
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
    const ctx = pageContext(ws, req, uiLocalesOf(params ?? (req.method === 'POST' ? undefined : req.query)));
    if (err instanceof UnverifiedRedirectError) {
      return errorPage(
        ctx,
        400,
        { title: 'error.invalidLink.title', text: 'error.invalidLink.message', back: wayBack(client) },
        { ...responseError(err), description: err.description },
      );
    }
    const e = toOAuthError(err);
    if (!e.expose) return failurePage(ctx, e);
    throw err;
  }
  // Stage 2: a pushed request was checked when it was pushed; a plain one gets the redirectable checks. An error
  // goes back to the client with the state read so far, a failure of the server's own too (RFC 6749 §4.1.2.1:
  // server_error and temporarily_unavailable exist because a 5xx cannot be redirected); the client may start again.
  const draft = authorizationRequestDraft(client, target);
  try {
    const request = pushed ?? (await validatePlainRequest(params, client, draft, ws));
    return await answerFromSessionOrStartInteraction(req, ws, client, request);
  } catch (err) {
    return errorRedirect(ws, pushed ?? draft, toOAuthError(err), redirectStatus(req));
  }
}

// GET/POST /oauth2/logout (OpenID Connect RP-Initiated Logout 1.0): ends the browser's session, then returns to the client or says so.
import { SESSION_COOKIE, clearedSessionCookie, readCookie } from '../cookies.js';
import { hashToken, keyedHash, safeEqual } from '../crypto.js';
import { OAuthError, invalidRequest, responseError, toOAuthError } from '../errors.js';
import { isFormBody, parseForm, redirect, type CoreRequest, type CoreResponse } from '../http.js';
import { verifyIdTokenHint } from '../jwt/id-token-hint.js';
import type { ClientRecord, SessionRecord } from '../model.js';
import { pageContext, uiLocalesOf } from '../pages/context.js';
import { errorPage, failurePage } from '../pages/html.js';
import { logoutConfirmPage, signedOutPage } from '../pages/logout.js';
import { optional, type Params } from '../params.js';
import { isClientId } from '../registration/registration.js';
import { nowSeconds, type Workspace } from '../workspace.js';
import { responseLocation } from './authorize/respond.js';

/** A logout request whose parameters have been checked: every redirect it may lead to is registered. */
interface LogoutRequest {
  /** The client the logout is for: the id_token_hint's audience, or the `client_id` sent. */
  readonly client?: ClientRecord;
  readonly postLogoutRedirectUri?: string;
  readonly state?: string;
  /** The user a valid id_token_hint names. */
  readonly hintSub?: string;
  /** The `ui_locales` sent (RP-Initiated Logout §2): the pages follow it, and the confirmation posts it back. */
  readonly uiLocales?: string;
}

/** The form button that confirms the sign-out; without it a POST is a logout request like a GET (§2: both methods). */
const CONFIRM = { name: 'logout', value: 'confirm' } as const;

const workspaceName = (ws: Workspace): string => ws.branding?.displayName ?? `${ws.tenantId}/${ws.workspaceId}`;

/** The confirmation form's token: only this browser's session cookie yields it, and it dies with that session. */
const logoutCsrf = (sessionId: string): string => keyedHash(sessionId, 'logout confirmation');

/** Checks the parameters; the client and `post_logout_redirect_uri` must be registered, or nothing redirects at all. */
async function readLogoutRequest(ws: Workspace, params: Params): Promise<LogoutRequest> {
  const hint = optional(params, 'id_token_hint');
  const sentClientId = optional(params, 'client_id');
  const postLogoutRedirectUri = optional(params, 'post_logout_redirect_uri');
  const state = optional(params, 'state');
  const uiLocales = optional(params, 'ui_locales');
  const verified = hint === undefined ? undefined : await verifyIdTokenHint(ws, hint);
  if (verified && sentClientId !== undefined && sentClientId !== verified.clientId)
    throw invalidRequest('client_id does not match the id_token_hint.', 'client_id differs from the hint audience');
  const clientId = verified?.clientId ?? sentClientId;
  const client = clientId !== undefined && isClientId(clientId) ? await ws.clients.get(clientId) : undefined;
  if (clientId !== undefined && !client)
    throw invalidRequest('The application is not registered with this server.', `unknown client ${clientId}`);
  if (postLogoutRedirectUri !== undefined && !client?.postLogoutRedirectUris?.includes(postLogoutRedirectUri)) {
    throw invalidRequest(
      'The address to return to after signing out is not registered for this application.',
      client ? 'post_logout_redirect_uri not registered' : 'post_logout_redirect_uri without a client',
    );
  }
  return {
    ...(client && { client }),
    ...(postLogoutRedirectUri !== undefined && { postLogoutRedirectUri }),
    ...(state !== undefined && { state }),
    ...(verified && { hintSub: verified.sub }),
    ...(uiLocales !== undefined && { uiLocales }),
  };
}

/** Ends the session of the cookie (if any), clears the cookie, and returns to the client or says it is done. */
async function signOut(
  req: CoreRequest,
  ws: Workspace,
  request: LogoutRequest,
  sessionId: string | undefined,
  session: SessionRecord | undefined,
): Promise<CoreResponse> {
  // Deleted even when already expired, as TTL deletion lags; only a live one counts as ended.
  if (sessionId !== undefined) await ws.interactions.endSession(hashToken(sessionId));
  if (session) ws.audit.emit('session.ended', { sub: session.sub, clientId: request.client?.clientId });
  const cookies = [clearedSessionCookie(req, ws)];
  if (request.postLogoutRedirectUri === undefined)
    return signedOutPage(pageContext(ws, req, request.uiLocales), workspaceName(ws), cookies);
  const location = responseLocation(request.postLogoutRedirectUri, { state: request.state });
  return redirect(location, req.method === 'POST' ? 303 : 302, cookies);
}

async function answer(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  if (req.method === 'POST' && !isFormBody(req))
    throw invalidRequest('The sign-out request must be a form.', 'body not form-urlencoded');
  const params = req.method === 'POST' ? parseForm(req.body) : req.query;
  const sessionId = readCookie(req, SESSION_COOKIE);
  const confirmed = req.method === 'POST' && optional(params, CONFIRM.name) === CONFIRM.value;
  // Checked before anything is read: a confirmation from a page this browser's session was not shown is refused.
  if (confirmed && (sessionId === undefined || !safeEqual(optional(params, 'csrf') ?? '', logoutCsrf(sessionId)))) {
    throw invalidRequest('This sign-out form has expired. Reload the page and try again.', 'csrf mismatch');
  }
  const request = await readLogoutRequest(ws, params);
  const session = sessionId ? await ws.interactions.getSession(hashToken(sessionId), nowSeconds(ws)) : undefined;
  // Without a session there is nothing to confirm; with one, only the user it belongs to may skip the question.
  if (confirmed || sessionId === undefined || !session || request.hintSub === session.sub) {
    return signOut(req, ws, request, sessionId, session);
  }
  return logoutConfirmPage({
    action: `${ws.issuer}/oauth2/logout`,
    workspaceName: workspaceName(ws),
    csrf: logoutCsrf(sessionId),
    params: {
      client_id: request.client?.clientId,
      post_logout_redirect_uri: request.postLogoutRedirectUri,
      state: request.state,
      ui_locales: request.uiLocales,
    },
    page: pageContext(ws, req, request.uiLocales),
    ...(request.client && { clientName: request.client.clientName ?? request.client.clientId }),
  });
}

/** Every problem is a page, never a redirect: only a checked request may send the browser anywhere. */
export async function logout(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  try {
    return await answer(req, ws);
  } catch (err) {
    const params = req.method === 'POST' ? (isFormBody(req) ? parseForm(req.body) : undefined) : req.query;
    const ctx = pageContext(ws, req, uiLocalesOf(params));
    if (err instanceof OAuthError && err.expose) {
      return errorPage(
        ctx,
        400,
        { title: 'error.invalidLogoutLink.title', text: 'error.invalidLogoutLink.message' },
        { ...responseError(err), description: err.description },
      );
    }
    return failurePage(ctx, toOAuthError(err));
  }
}

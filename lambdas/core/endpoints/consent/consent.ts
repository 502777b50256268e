// GET/POST /consent: the hosted login and consent pages of an authorization transaction.
import { consentNeeded, errorRedirect, issueCodeAndRedirect, type Authentication } from '../authorize/respond.js';
import { BROWSER_COOKIE, SESSION_COOKIE, readCookie, sessionCookie } from '../../cookies.js';
import { hashToken, randomToken, safeEqual, verifyPassword } from '../../crypto.js';
import { ConditionFailed, OAuthError, accessDenied, responseError } from '../../errors.js';
import { isFormBody, parseForm, redirect, type CoreRequest, type CoreResponse } from '../../http.js';
import type { ClientRecord, SessionRecord, TransactionRecord, UserRecord } from '../../model.js';
import { pageContext, wayBack } from '../../pages/context.js';
import { errorPage, type PageContext } from '../../pages/html.js';
import { consentPage, loginPage, type FormContext } from '../../pages/interaction.js';
import { optional, type Params } from '../../params.js';
import { MAX_USERNAME_BYTES, usernameKey } from '../../registration/registration.js';
import { stillSignedIn } from '../../user-status.js';
import { nowSeconds, type Workspace } from '../../workspace.js';

const expiredPage = (ctx: PageContext, detail: string, client?: ClientRecord) =>
  errorPage(
    ctx,
    400,
    { title: 'error.expired.title', text: 'error.expired.message', back: wayBack(client) },
    { error: 'invalid_request', detail },
  );

/** No live transaction of this browser under the `txn` sent. */
const NO_TRANSACTION = 'no live transaction for this browser';

interface Interaction {
  readonly txn: TransactionRecord;
  readonly client: ClientRecord;
  readonly form: FormContext;
}

/** Loads the live transaction named by `txn` and checks it belongs to this browser. */
async function loadInteraction(req: CoreRequest, ws: Workspace, params: Params): Promise<Interaction | undefined> {
  const txnId = optional(params, 'txn');
  const browser = readCookie(req, BROWSER_COOKIE);
  if (!txnId || !/^[A-Za-z0-9_-]{16,64}$/.test(txnId) || !browser) return undefined;
  const txn = await ws.interactions.getTransaction(txnId, nowSeconds(ws));
  if (!txn || !safeEqual(hashToken(browser), txn.browserHash)) return undefined;
  const client = await ws.clients.get(txn.request.clientId);
  if (!client) return undefined;
  return {
    txn,
    client,
    form: {
      action: `${ws.issuer}/consent`,
      txnId: txn.id,
      csrf: txn.csrf,
      clientName: client.clientName ?? client.clientId,
      page: pageContext(ws, req, txn.request.uiLocales),
    },
  };
}

async function showPage(ws: Workspace, { txn, form, client }: Interaction): Promise<CoreResponse> {
  if (!txn.sub) return loginPage(form, { username: txn.request.loginHint });
  const user = await ws.users.findBySub(txn.sub);
  if (!user || user.disabled) return expiredPage(form.page, 'user disabled or removed', client);
  return consentPage(form, txn.request.scopes, user.username);
}

async function login(req: CoreRequest, ws: Workspace, interaction: Interaction, params: Params): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  const { settings } = ws;
  const username = optional(params, 'username') ?? '';
  const password = optional(params, 'password') ?? '';
  // Counted before the password is checked, so parallel guesses cannot all pass a check made before any was counted.
  // The address first: an attempt refused for its address never reaches the password check, so it must not count
  // against the username it names either, or one address could lock anyone out.
  // The username is keyed by its hash: fixed length, and what people type there (sometimes a password) is not stored.
  // Hashed from the username key, so every spelling that signs in as one user counts against that user alone.
  const addressKey = `ip:${req.sourceIp}`;
  const userKey = `user:${hashToken(usernameKey(username))}`;
  const audit = { clientId: interaction.client.clientId, sourceIp: req.sourceIp };
  const throttled = () => {
    ws.audit.emit('login.throttled', audit);
    return loginPage(interaction.form, {
      username,
      status: 429,
      error: 'login.error.throttled',
    });
  };
  const [byAddress = 0] = await ws.throttle.countAttempt([addressKey], settings.loginThrottleWindow, now);
  if (byAddress > settings.maxFailuresPerAddress) return throttled();
  const [byUser = 0] = await ws.throttle.countAttempt([userKey], settings.loginThrottleWindow, now);
  if (byUser > settings.maxFailuresPerUsername) return throttled();
  const user =
    username && Buffer.byteLength(username) <= MAX_USERNAME_BYTES ? await ws.users.findByUsername(username) : undefined;
  const passwordOk = await verifyPassword(password, user?.passwordHash);
  if (!user || !passwordOk || user.disabled) {
    ws.audit.emit('login.failed', { ...audit, ...(user && { sub: user.sub }) });
    return loginPage(interaction.form, { username, error: 'login.error.credentials' });
  }
  await ws.throttle.forgive([userKey, addressKey], now);
  const sid = randomToken();
  const session = { idHash: hashToken(sid), sub: user.sub, authTime: now, expiresAt: now + settings.sessionTtl };
  await ws.interactions.recordLogin(interaction.txn.id, session, now);
  ws.audit.emit('login.succeeded', { clientId: interaction.client.clientId, sub: user.sub });
  const cookies = [sessionCookie(req, ws, sid)];
  if (await consentNeeded(ws, interaction.client, interaction.txn.request, user.sub)) {
    return redirect(`${ws.issuer}/consent?txn=${encodeURIComponent(interaction.txn.id)}`, 303, cookies);
  }
  return issueCodeAndRedirect(ws, interaction.client, interaction.txn.request, session, {
    transactionId: interaction.txn.id,
    status: 303,
    cookies,
  });
}

/** The session the transaction's login rests on, if this browser still holds it and it is live. */
async function heldSession(
  req: CoreRequest,
  ws: Workspace,
  txn: TransactionRecord,
  now: number,
): Promise<SessionRecord | undefined> {
  const sid = readCookie(req, SESSION_COOKIE);
  if (!sid || txn.sessionHash === undefined || !safeEqual(hashToken(sid), txn.sessionHash)) return undefined;
  return ws.interactions.getSession(txn.sessionHash, now);
}

/**
 * Why the authentication a transaction rests on no longer holds now that its code would be issued, or undefined
 * while it does: checked here and not only when the request arrived, since the consent page may stay open for the
 * whole transaction. A code issued right after a login needs no such check: that login is the authentication.
 */
function lapsedAuthentication(
  signedIn: Authentication,
  maxAge: number | undefined,
  session: SessionRecord | undefined,
  user: UserRecord,
  now: number,
): string | undefined {
  if (session?.sub !== signedIn.sub) return "session ended, expired, or not this browser's";
  if (!stillSignedIn(user, signedIn.authTime)) return 'user signed out since the sign-in';
  if (maxAge !== undefined && now - signedIn.authTime > maxAge) return 'max_age elapsed since the sign-in';
  return undefined;
}

/**
 * Back to the login form: the transaction's login is taken off, so it asks for a sign-in again (OIDC Core §3.1.2.1:
 * when max_age has run out, the user is actively re-authenticated; an ended session vouches for nobody).
 */
async function signInAgain(ws: Workspace, { txn, form }: Interaction, detail: string, now: number) {
  await ws.interactions.forgetLogin(txn.id, now);
  const page = loginPage(form, {
    username: txn.request.loginHint,
    error: 'login.error.expired',
  });
  return { ...page, error: { error: 'login_required', detail } };
}

async function decide(
  req: CoreRequest,
  ws: Workspace,
  interaction: Interaction,
  params: Params,
): Promise<CoreResponse> {
  const { txn, client } = interaction;
  const decision = optional(params, 'decision');
  const now = nowSeconds(ws);
  if (decision === 'deny') {
    await ws.interactions.discardTransaction(txn.id, now);
    ws.audit.emit('consent.denied', { clientId: client.clientId, sub: txn.sub });
    return errorRedirect(ws, txn.request, accessDenied('The user denied the request.', 'user denied consent'), 303);
  }
  if (decision !== 'allow' || !txn.sub || txn.authTime === undefined) {
    return errorPage(
      interaction.form.page,
      400,
      { title: 'error.generic.title', text: 'error.incomplete.message', back: wayBack(client) },
      { error: 'invalid_request', detail: 'no decision, or no sign-in yet' },
    );
  }
  const signedIn: Authentication = { sub: txn.sub, authTime: txn.authTime };
  // Read again beside the consent: the user (one disabled since the consent page was shown gets no code) and the
  // session the login rests on.
  const [earlier, user, session] = await Promise.all([
    ws.interactions.getConsent(txn.sub, client.clientId),
    ws.users.findBySub(txn.sub),
    heldSession(req, ws, txn, now),
  ]);
  if (!user || user.disabled)
    return expiredPage(interaction.form.page, 'user disabled or removed before allow', client);
  const lapsed = lapsedAuthentication(signedIn, txn.request.maxAge, session, user, now);
  if (lapsed !== undefined) return signInAgain(ws, interaction, lapsed, now);
  const consent = {
    sub: txn.sub,
    clientId: client.clientId,
    scopes: [...new Set([...(earlier?.scopes ?? []), ...txn.request.scopes])],
    updatedAt: now,
  };
  const res = await issueCodeAndRedirect(ws, client, txn.request, signedIn, {
    transactionId: txn.id,
    consent,
    status: 303,
  });
  ws.audit.emit('consent.granted', { clientId: client.clientId, sub: txn.sub, scope: txn.request.scopes.join(' ') });
  return res;
}

/** The pages answer every client-side problem with a page, never with a JSON error. */
async function asPage(
  req: CoreRequest,
  ws: Workspace,
  respond: (ctx: PageContext) => Promise<CoreResponse>,
): Promise<CoreResponse> {
  // Until a transaction is found, pages follow the browser's languages.
  const ctx = pageContext(ws, req);
  try {
    return await respond(ctx);
  } catch (err) {
    if (err instanceof ConditionFailed) return expiredPage(ctx, 'transaction used or expired meanwhile');
    if (err instanceof OAuthError && err.expose) {
      return errorPage(
        ctx,
        400,
        { title: 'error.generic.title', text: 'error.generic.message' },
        { ...responseError(err), description: err.description },
      );
    }
    throw err;
  }
}

export function consentGet(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  return asPage(req, ws, async (ctx) => {
    const interaction = await loadInteraction(req, ws, req.query);
    return interaction ? showPage(ws, interaction) : expiredPage(ctx, NO_TRANSACTION);
  });
}

export function consentPost(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  return asPage(req, ws, async (ctx) => {
    if (!isFormBody(req)) {
      return errorPage(
        ctx,
        415,
        { title: 'error.generic.title', text: 'error.format.message' },
        { error: 'invalid_request', detail: 'body not form-urlencoded' },
      );
    }
    const params = parseForm(req.body);
    const interaction = await loadInteraction(req, ws, params);
    if (!interaction) return expiredPage(ctx, NO_TRANSACTION);
    if (!safeEqual(optional(params, 'csrf') ?? '', interaction.txn.csrf)) {
      return errorPage(
        interaction.form.page,
        403,
        { title: 'error.formExpired.title', text: 'error.formExpired.message', back: wayBack(interaction.client) },
        { error: 'invalid_request', detail: 'csrf mismatch' },
      );
    }
    return interaction.txn.sub ? decide(req, ws, interaction, params) : login(req, ws, interaction, params);
  });
}

// GET/POST /consent: the hosted login and consent pages of an authorization transaction.
import { errorRedirect, issueCodeAndRedirect, type Authentication } from '../authorize/respond.js';
import { startUpstreamSignIn } from '../federation/start.js';
import { SESSION_COOKIE, readCookie } from '../../cookies.js';
import { hashToken, safeEqual, verifyPassword } from '../../crypto.js';
import { accessDenied } from '../../errors.js';
import { isFormBody, parseForm, type CoreRequest, type CoreResponse } from '../../http.js';
import type { SessionRecord, TransactionRecord, UserRecord } from '../../model.js';
import { wayBack } from '../../pages/context.js';
import { errorPage } from '../../pages/html.js';
import { consentPage, loginPage, userLabel } from '../../pages/interaction.js';
import { optional, type Params } from '../../params.js';
import { MAX_USERNAME_BYTES, usernameKey } from '../../registration/registration.js';
import { stillSignedIn } from '../../user-status.js';
import { nowSeconds, type Workspace } from '../../workspace.js';
import { asPage, completeLogin, expiredPage, loadInteraction, type Interaction } from './interaction.js';

/** No live transaction of this browser under the `txn` sent. */
const NO_TRANSACTION = 'no live transaction for this browser';

async function showPage(ws: Workspace, interaction: Interaction): Promise<CoreResponse> {
  const { txn, form, client } = interaction;
  if (!txn.sub) {
    // SPEC §3: with one identity source and no built-in users there is nothing to choose; straight to the source.
    const [only, ...others] = ws.federation.sources;
    if (!ws.settings.builtInUsers && only && others.length === 0) return startUpstreamSignIn(ws, interaction, only);
    return loginPage(form, { username: txn.request.loginHint });
  }
  const user = await ws.users.findBySub(txn.sub);
  if (!user || user.disabled) return expiredPage(form.page, 'user disabled or removed', client);
  return consentPage(form, txn.request.scopes, userLabel(user));
}

async function login(req: CoreRequest, ws: Workspace, interaction: Interaction, params: Params): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  const { settings } = ws;
  const source = optional(params, 'source');
  if (source !== undefined) {
    const chosen = ws.federation.sources.find((s) => s.id === source);
    if (!chosen) return loginPage(interaction.form, { status: 400, error: 'login.error.sourceNotOffered' });
    return startUpstreamSignIn(ws, interaction, chosen);
  }
  if (!settings.builtInUsers) {
    const page = loginPage(interaction.form, { status: 400, error: 'login.error.chooseSource' });
    return { ...page, error: { error: 'invalid_request', detail: 'password sign-in is off' } };
  }
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
  // A linked user has no password: it signs in at its source only (and `verifyPassword` failed for it already).
  if (!user || !passwordOk || user.disabled || user.link) {
    ws.audit.emit('login.failed', { ...audit, ...(user && { sub: user.sub }) });
    return loginPage(interaction.form, { username, error: 'login.error.credentials' });
  }
  await ws.throttle.forgive([userKey, addressKey], now);
  return completeLogin(req, ws, interaction, user);
}

/** Whether this browser still holds the session the transaction's login rests on (its liveness is read apart). */
function holdsSession(req: CoreRequest, txn: TransactionRecord): boolean {
  const sid = readCookie(req, SESSION_COOKIE);
  return sid !== undefined && txn.sessionHash !== undefined && safeEqual(hashToken(sid), txn.sessionHash);
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
  // Read again beside the consent, in one round trip: the user (one disabled since the consent page was shown gets no
  // code) and the session the login rests on, if this browser still holds it.
  const {
    consent: earlier,
    user,
    session,
  } = await ws.interactions.signedInState(
    {
      sub: txn.sub,
      consentClientId: client.clientId,
      ...(holdsSession(req, txn) && { sessionHash: txn.sessionHash }),
    },
    now,
  );
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

export function consentGet(req: CoreRequest, ws: Workspace): Promise<CoreResponse> {
  return asPage(req, ws, async (ctx) => {
    const interaction = await loadInteraction(req, ws, optional(req.query, 'txn'));
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
    const interaction = await loadInteraction(req, ws, optional(params, 'txn'));
    if (!interaction) return expiredPage(ctx, NO_TRANSACTION);
    if (!safeEqual(optional(params, 'csrf') ?? '', interaction.txn.csrf)) {
      return errorPage(
        interaction.form.page,
        403,
        { title: 'error.formExpired.title', text: 'error.formExpired.message', back: wayBack(interaction.client) },
        { error: 'invalid_request', detail: 'csrf mismatch' },
      );
    }
    // A password is a login even once the transaction has one: a login recorded whose answer never reached the
    // browser (the code could not be issued, the connection dropped) is simply done again.
    const signingIn = !interaction.txn.sub || optional(params, 'password') !== undefined;
    return signingIn ? login(req, ws, interaction, params) : decide(req, ws, interaction, params);
  });
}

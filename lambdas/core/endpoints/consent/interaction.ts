// What the hosted pages share: the browser's live transaction, the pages for a lost one, and finishing a sign-in.
import { consentNeeded, issueCodeAndRedirect } from '../authorize/respond.js';
import { BROWSER_COOKIE, newSessionId, readCookie, sessionCookie } from '../../cookies.js';
import { hashToken, safeEqual } from '../../crypto.js';
import { ConditionFailed, OAuthError, responseError, toOAuthError } from '../../errors.js';
import { redirect, type CoreRequest, type CoreResponse } from '../../http.js';
import type { ClientRecord, TransactionRecord, UserRecord } from '../../model.js';
import { pageContext, wayBack } from '../../pages/context.js';
import { errorPage, failurePage, type PageContext } from '../../pages/html.js';
import type { FormContext } from '../../pages/interaction.js';
import { nowSeconds, type Workspace } from '../../workspace.js';

export const expiredPage = (ctx: PageContext, detail: string, client?: ClientRecord) =>
  errorPage(
    ctx,
    400,
    { title: 'error.expired.title', text: 'error.expired.message', back: wayBack(client) },
    { error: 'invalid_request', detail },
  );

export interface Interaction {
  readonly txn: TransactionRecord;
  readonly client: ClientRecord;
  readonly form: FormContext;
}

/** Loads the live transaction `txnId` names and checks it belongs to this browser. */
export async function loadInteraction(
  req: CoreRequest,
  ws: Workspace,
  txnId: string | undefined,
): Promise<Interaction | undefined> {
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
      sources: ws.federation.sources.map(({ id, name }) => ({ id, name })),
      passwords: ws.settings.builtInUsers,
    },
  };
}

/**
 * A successful sign-in, however the user proved who they are (password or identity source): a new browser session
 * recorded on the transaction, then the consent page or, with nothing to consent to, the code.
 */
export async function completeLogin(
  req: CoreRequest,
  ws: Workspace,
  interaction: Interaction,
  user: UserRecord,
): Promise<CoreResponse> {
  const now = nowSeconds(ws);
  // Read before the login is recorded, so that a failure here leaves the transaction as the browser knows it.
  const askConsent = await consentNeeded(ws, interaction.client, interaction.txn.request, user.sub);
  const sid = newSessionId(user.sub);
  const session = { idHash: hashToken(sid), sub: user.sub, authTime: now, expiresAt: now + ws.settings.sessionTtl };
  await ws.interactions.recordLogin(interaction.txn.id, session, now);
  ws.audit.emit('login.succeeded', {
    clientId: interaction.client.clientId,
    sub: user.sub,
    ...(user.link && { source: user.link.sourceId }),
  });
  const cookies = [sessionCookie(req, ws, sid)];
  if (askConsent) {
    return redirect(`${ws.issuer}/consent?txn=${encodeURIComponent(interaction.txn.id)}`, 303, cookies);
  }
  return issueCodeAndRedirect(ws, interaction.client, interaction.txn.request, session, {
    transactionId: interaction.txn.id,
    status: 303,
    cookies,
  });
}

/**
 * The pages answer every problem with a page, never with a JSON error: the server's own failures too. Until a
 * transaction is found, pages follow the browser's languages.
 */
export async function asPage(
  req: CoreRequest,
  ws: Workspace,
  respond: (ctx: PageContext) => Promise<CoreResponse>,
): Promise<CoreResponse> {
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
    return failurePage(ctx, toOAuthError(err));
  }
}

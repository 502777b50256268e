// The login and consent pages: the form contract of SPEC §3 (username/password, decision=allow|deny).
import type { CoreResponse } from '../http.js';
import type { UserRecord } from '../model.js';
import { html, page, type Html, type PageContext } from './html.js';
import type { MessageKey, MessageValues } from './messages.js';

/** The scopes the catalogues describe. */
const STANDARD_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;
const isStandardScope = (scope: string): scope is (typeof STANDARD_SCOPES)[number] =>
  (STANDARD_SCOPES as readonly string[]).includes(scope);

/** A scope's description in the page's language: the workspace's own first, then the catalogue's, else English. */
function scopeDescription(ctx: PageContext, scope: string): string | undefined {
  const custom = ctx.scopeDescriptions?.[scope];
  if (custom?.[ctx.t.language] !== undefined) return custom[ctx.t.language];
  if (isStandardScope(scope)) return ctx.t.text(`scope.${scope}`);
  return custom?.en;
}

export interface FormContext {
  readonly action: string;
  readonly txnId: string;
  readonly csrf: string;
  readonly clientName: string;
  /** The language and branding the pages of this transaction are shown in. */
  readonly page: PageContext;
  /** The identity sources offered beside (or instead of) the password form, in order. */
  readonly sources: readonly { readonly id: string; readonly name: string }[];
  /** Whether the username and password form is shown (the workspace's `builtInUsers`). */
  readonly passwords: boolean;
}

/** How the pages name a signed-in user: a linked user by its email or name, not by its `{source}:{sub}` username. */
export function userLabel(user: Pick<UserRecord, 'username' | 'link' | 'claims'>): string {
  if (!user.link) return user.username;
  const { email, name } = user.claims;
  return typeof email === 'string' ? email : typeof name === 'string' ? name : user.username;
}

/** One submit button per identity source (SPEC §3: its `value` is the source's id), in a form of its own. */
function sourceButtons(ctx: FormContext): Html | string {
  if (ctx.sources.length === 0) return '';
  const { t } = ctx.page;
  const buttons = ctx.sources.map(
    (s) =>
      html`<button type="submit" name="source" value="${s.id}" class="secondary">${t.html('login.source', { source: s.name })}</button>`,
  );
  return html`<form method="post" action="${ctx.action}" class="sources">
    ${hidden(ctx)}
    <div class="actions">${buttons}</div>
  </form>`;
}

const hidden = (ctx: FormContext) =>
  html`<input type="hidden" name="txn" value="${ctx.txnId}" /><input type="hidden" name="csrf" value="${ctx.csrf}" />`;

export function loginPage(
  ctx: FormContext,
  opts: { username?: string; error?: MessageKey; errorValues?: MessageValues; status?: number } = {},
): CoreResponse {
  const { t } = ctx.page;
  const error = opts.error
    ? html`<p class="error" role="alert" id="login-error">${t.html(opts.error, opts.errorValues)}</p>`
    : '';
  const describedBy = opts.error ? html` aria-describedby="login-error"` : '';
  return page(ctx.page, opts.status ?? 200, {
    title: 'login.title',
    label: 'brand.signIn',
    content: html`<h1>${t.html('login.heading')}</h1>
      <p>${t.html('login.to', { client: html`<strong>${ctx.clientName}</strong>` })}</p>
      ${error} ${sourceButtons(ctx)} ${ctx.passwords ? passwordForm(ctx, opts.username, describedBy) : ''}`,
  });
}

function passwordForm(ctx: FormContext, username: string | undefined, describedBy: Html | string): Html {
  const { t } = ctx.page;
  return html`<form method="post" action="${ctx.action}" novalidate>
        ${hidden(ctx)}
        <label for="username">${t.html('login.username')}</label>
        <input
          type="text"
          id="username"
          name="username"
          value="${username ?? ''}"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          autofocus${describedBy}
        />
        <label for="password">${t.html('login.password')}</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required${describedBy} />
        <div class="actions"><button type="submit">${t.html('login.submit')}</button></div>
      </form>`;
}

export function consentPage(ctx: FormContext, scopes: readonly string[], username: string): CoreResponse {
  const { t } = ctx.page;
  const items = scopes.map((s) => {
    const description = scopeDescription(ctx.page, s);
    return html`<li><strong>${s}</strong>${description ? html`<span>${description}</span>` : ''}</li>`;
  });
  return page(ctx.page, 200, {
    title: 'consent.title',
    label: 'brand.authorize',
    content: html`<h1>${t.html('consent.heading', { client: html`<span>${ctx.clientName}</span>` })}</h1>
      <p>${t.html('consent.signedInAs', { username: html`<strong>${username}</strong>` })}</p>
      <ul class="scopes" aria-label="${t.text('consent.permissions')}">
        ${items}
      </ul>
      <form method="post" action="${ctx.action}">
        ${hidden(ctx)}
        <div class="actions">
          <button type="submit" name="decision" value="deny" class="secondary">${t.html('consent.deny')}</button>
          <button type="submit" name="decision" value="allow">${t.html('consent.allow')}</button>
        </div>
      </form>`,
  });
}

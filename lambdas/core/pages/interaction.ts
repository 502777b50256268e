// The login and consent pages: the form contract of SPEC §3 (username/password, decision=allow|deny).
import type { CoreResponse } from '../http.js';
import type { UserRecord } from '../model.js';
import { html, page, type Html } from './html.js';

const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: 'Sign you in and know who you are',
  profile: 'Your name and basic profile',
  email: 'Your email address',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay connected when you are not using it',
};

export interface FormContext {
  readonly action: string;
  readonly txnId: string;
  readonly csrf: string;
  readonly clientName: string;
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
  const buttons = ctx.sources.map(
    (s) => html`<button type="submit" name="source" value="${s.id}" class="secondary">Continue with ${s.name}</button>`,
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
  opts: { username?: string; error?: string; status?: number } = {},
): CoreResponse {
  const error = opts.error ? html`<p class="error" role="alert" id="login-error">${opts.error}</p>` : '';
  const describedBy = opts.error ? html` aria-describedby="login-error"` : '';
  return page(
    opts.status ?? 200,
    'Sign in',
    html`<div class="brand">Sign in</div>
      <h1>Sign in to continue</h1>
      <p>to <strong>${ctx.clientName}</strong></p>
      ${error} ${sourceButtons(ctx)} ${ctx.passwords ? passwordForm(ctx, opts.username, describedBy) : ''}`,
  );
}

function passwordForm(ctx: FormContext, username: string | undefined, describedBy: Html | string): Html {
  return html`<form method="post" action="${ctx.action}" novalidate>
        ${hidden(ctx)}
        <label for="username">Username</label>
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
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required${describedBy} />
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>`;
}

export function consentPage(ctx: FormContext, scopes: readonly string[], username: string): CoreResponse {
  const items = scopes.map(
    (s) => html`<li><strong>${s}</strong>${SCOPE_TEXT[s] ? html`<span>${SCOPE_TEXT[s]}</span>` : ''}</li>`,
  );
  return page(
    200,
    'Allow access',
    html`<div class="brand">Authorize</div>
      <h1><span>${ctx.clientName}</span> wants access</h1>
      <p>Signed in as <strong>${username}</strong>. The application is asking to:</p>
      <ul class="scopes" aria-label="Requested permissions">
        ${items}
      </ul>
      <form method="post" action="${ctx.action}">
        ${hidden(ctx)}
        <div class="actions">
          <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
          <button type="submit" name="decision" value="allow">Allow</button>
        </div>
      </form>`,
  );
}

// The sign-out pages of RP-initiated logout: the confirmation form (button `name="logout" value="confirm"`) and the notice after it.
import type { CoreResponse } from '../http.js';
import { html, page, type PageContext } from './html.js';

export interface LogoutFormContext {
  readonly action: string;
  /** What the user is signed in to: the workspace. */
  readonly workspaceName: string;
  /** Anti-CSRF token tied to the browser's session cookie. */
  readonly csrf: string;
  /** The logout request's parameters, posted back with the confirmation. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The application that asked for the sign-out, when known. */
  readonly clientName?: string;
  /** The language and branding of the page. */
  readonly page: PageContext;
}

export function logoutConfirmPage(ctx: LogoutFormContext): CoreResponse {
  const { t } = ctx.page;
  const fields = Object.entries({ ...ctx.params, csrf: ctx.csrf })
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`);
  const asker = ctx.clientName
    ? html`<p>${t.html('logout.asker', { client: html`<strong>${ctx.clientName}</strong>` })}</p>`
    : '';
  return page(ctx.page, 200, {
    title: 'logout.title',
    label: 'brand.signOut',
    content: html`<h1>${t.html('logout.heading', { workspace: ctx.workspaceName })}</h1>
      ${asker}
      <form method="post" action="${ctx.action}">
        ${fields}
        <div class="actions"><button type="submit" name="logout" value="confirm">${t.html('logout.submit')}</button></div>
      </form>`,
  });
}

export function signedOutPage(ctx: PageContext, workspaceName: string, cookies: string[]): CoreResponse {
  return page(ctx, 200, {
    title: 'signedOut.title',
    label: 'brand.signOut',
    content: html`<h1>${ctx.t.html('signedOut.heading')}</h1>
      <p>${ctx.t.html('signedOut.message', { workspace: workspaceName })}</p>`,
    cookies,
  });
}

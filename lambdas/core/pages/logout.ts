// The sign-out pages of RP-initiated logout: the confirmation form (button `name="logout" value="confirm"`) and the notice after it.
import type { CoreResponse } from '../http.js';
import { html, page } from './html.js';

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
}

export function logoutConfirmPage(ctx: LogoutFormContext): CoreResponse {
  const fields = Object.entries({ ...ctx.params, csrf: ctx.csrf })
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`);
  const asker = ctx.clientName ? html`<p><strong>${ctx.clientName}</strong> asks you to sign out.</p>` : '';
  return page(
    200,
    'Sign out',
    html`<div class="brand">Sign out</div>
      <h1>Sign out of ${ctx.workspaceName}?</h1>
      ${asker}
      <form method="post" action="${ctx.action}">
        ${fields}
        <div class="actions"><button type="submit" name="logout" value="confirm">Sign out</button></div>
      </form>`,
  );
}

export function signedOutPage(workspaceName: string, cookies: string[]): CoreResponse {
  return page(
    200,
    'Signed out',
    html`<div class="brand">Sign out</div>
      <h1>You are signed out</h1>
      <p>You have signed out of ${workspaceName}. You can close this window.</p>`,
    cookies,
  );
}

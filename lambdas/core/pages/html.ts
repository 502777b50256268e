// The pages' shell: escaping, the document and the security headers every page carries, and the hosted pages' stylesheet.
import { createHash } from 'node:crypto';
import { type OAuthError, responseError } from '../errors.js';
import type { CoreResponse, ResponseError } from '../http.js';
import { buttonText, logoOrigin, type Branding, type ScopeDescriptions } from './branding.js';
import type { MessageKey, Translator } from './messages.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes a value for HTML text and double- or single-quoted attributes. */
function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** Tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const rendered = Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.value : escapeHtml(x))).join('')
      : v instanceof Html
        ? v.value
        : escapeHtml(v);
    out += rendered + strings[i + 1]!;
  });
  return new Html(out);
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f6fb;--card:#fff;--text:#1b2330;--muted:#5b6678;--line:#dde3ee;--accent:#2f5bea;--accent-text:#fff;--danger:#b42318;--focus:#9db5ff}
@media (prefers-color-scheme:dark){:root{--bg:#0f141c;--card:#171e29;--text:#e7ecf4;--muted:#9aa6b8;--line:#2a3444;--accent:#7096ff;--accent-text:#0b1020;--danger:#ff8a80;--focus:#3d5fc4}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:24px}
main{width:100%;max-width:420px;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:32px;box-shadow:0 8px 30px rgba(15,23,42,.08)}
h1{font-size:1.4rem;margin:0 0 .25rem}
p{margin:.5rem 0;color:var(--muted)}
.brand{font-size:.8rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin-bottom:1.25rem}
label{display:block;font-weight:600;margin:1rem 0 .35rem}
input[type=text],input[type=password]{width:100%;padding:.7rem .8rem;border:1px solid var(--line);border-radius:8px;background:transparent;color:inherit;font:inherit}
input:focus-visible,button:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.actions{display:flex;gap:.75rem;margin-top:1.5rem;flex-wrap:wrap}
button{flex:1;min-width:8rem;padding:.75rem 1rem;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-text);font:inherit;font-weight:600;cursor:pointer}
button.secondary{background:transparent;color:var(--text);border-color:var(--line)}
.error{border:1px solid var(--danger);color:var(--danger);border-radius:8px;padding:.6rem .8rem;margin:1rem 0 0}
ul.scopes{list-style:none;padding:0;margin:1rem 0;border:1px solid var(--line);border-radius:8px}
ul.scopes li{padding:.65rem .9rem;border-top:1px solid var(--line)}
ul.scopes li:first-child{border-top:0}
ul.scopes strong{display:block}
ul.scopes span{color:var(--muted);font-size:.9rem}
.brand img.logo{display:block;max-height:48px;max-width:100%;margin-bottom:.5rem}
footer{margin-top:1.5rem;padding-top:1rem;border-top:1px solid var(--line);font-size:.9rem}
a{color:inherit}
a:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
a.button{display:inline-block;padding:.75rem 1rem;border-radius:8px;background:var(--accent);color:var(--accent-text);font-weight:600;text-decoration:none}
details{margin-top:1rem;color:var(--muted);font-size:.9rem}
code{overflow-wrap:anywhere}
`;

/** What a document adds to its family's shell: its language, and the workspace's style and image origin. */
export interface DocumentOptions {
  /** `<html lang>`. @default 'en' */
  readonly lang?: string;
  /** CSS appended to the family's stylesheet (the branding's colours); hashed into the CSP with it. */
  readonly extraStyle?: string;
  /** One more origin images may load from (the branding's logo). */
  readonly imageOrigin?: string;
}

/** Renders a page: its content in `<body>` after a head with `title`; cookies are set with it. */
export type PageRenderer = (
  status: number,
  title: string,
  content: Html,
  cookies?: string[],
  options?: DocumentOptions,
) => CoreResponse;

const styleHash = (style: string) => createHash('sha256').update(style).digest('base64');

/**
 * The document shell and security headers of a family of pages with one stylesheet. The pages run no script:
 * the CSP allows the inline stylesheet by its hash, and `policy` adds the family's other directives; its
 * `img-src` (if any) gets the document's image origin.
 */
export function pageShell(style: string, policy: string): PageRenderer {
  const fixed: Readonly<Record<string, string>> = {
    'content-type': 'text/html;charset=utf-8',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-content-type-options': 'nosniff',
    // A year of https only for this host. Not includeSubDomains: the issuer's domain may serve other hosts we
    // know nothing of. Browsers ignore it over plain http, so local runs are unaffected.
    'strict-transport-security': 'max-age=31536000',
  };
  const plainHash = styleHash(style);
  return (status, title, content, cookies, options = {}) => {
    const fullStyle = style + (options.extraStyle ?? '');
    const hash = options.extraStyle ? styleHash(fullStyle) : plainHash;
    const directives = options.imageOrigin
      ? policy.replace(/img-src ([^;]*)/, (_, sources: string) => `img-src ${sources} ${options.imageOrigin}`)
      : policy;
    const body = html`<!doctype html>
      <html lang="${options.lang ?? 'en'}">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>${title}</title>
          <style>${new Html(fullStyle)}</style>
        </head>
        <body>
          ${content}
        </body>
      </html> `;
    const headers = {
      ...fixed,
      'content-security-policy': `default-src 'none'; style-src 'sha256-${hash}'; ${directives}`,
    };
    const res: CoreResponse = { status, headers, body: body.value };
    if (cookies?.length) res.cookies = cookies;
    return res;
  };
}

/** The login and consent pages: their forms post to the server, which sends the browser on to the client with a 303. */
// form-action does not fall back to default-src: without it, injected markup could re-target the password form.
const hostedPage = pageShell(
  STYLE,
  "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
);

/** What every hosted page is rendered with: the request's language and the workspace's branding. */
export interface PageContext {
  readonly t: Translator;
  readonly branding?: Branding;
  readonly scopeDescriptions?: ScopeDescriptions;
}

/** The branding's button colours, for light and dark schemes alike: the brand colour is the brand colour. */
function brandStyle(branding: Branding | undefined): string | undefined {
  const color = branding?.primaryColor;
  const text = color === undefined ? undefined : buttonText(color);
  if (!color || !text) return undefined;
  const vars = `--accent:${color};--accent-text:${text.color}`;
  return `:root{${vars}}@media (prefers-color-scheme:dark){:root{${vars}}}main{border-top:4px solid var(--accent)}`;
}

/** The top of every page: the logo and name of the workspace when branded, else the page's label. */
function header(ctx: PageContext, label: MessageKey): Html {
  const { displayName, logoUrl } = ctx.branding ?? {};
  const logo = logoUrl ? html`<img class="logo" src="${logoUrl}" alt="${displayName ?? ''}" />` : '';
  const name = displayName ? html`<span translate="no">${displayName}</span>` : ctx.t.html(label);
  return html`<div class="brand">${logo}${name}</div>`;
}

/** The support link under every page of a branded workspace. */
function footer(ctx: PageContext): Html | string {
  const url = ctx.branding?.supportUrl;
  return url ? html`<footer><a href="${url}">${ctx.t.html('help.support')}</a></footer>` : '';
}

export function page(
  ctx: PageContext,
  status: number,
  page: { title: MessageKey; label: MessageKey; content: Html; cookies?: string[] },
): CoreResponse {
  return hostedPage(
    status,
    ctx.t.text(page.title),
    html`<main>${header(ctx, page.label)}${page.content}${footer(ctx)}</main>`,
    page.cookies,
    {
      lang: ctx.t.language,
      ...(brandStyle(ctx.branding) !== undefined && { extraStyle: brandStyle(ctx.branding) }),
      ...(logoOrigin(ctx.branding) !== undefined && { imageOrigin: logoOrigin(ctx.branding) }),
    },
  );
}

/** Where an error page sends the user back to: the application's home page, when the server knows it. */
export interface WayBack {
  readonly clientName: string;
  readonly url: string;
}

function wayBackLink(ctx: PageContext, back: WayBack): Html {
  const label = ctx.t.html('help.backTo', { client: html`<span translate="no">${back.clientName}</span>` });
  return html`<div class="actions"><a class="button" href="${back.url}">${label}</a></div>`;
}

/**
 * A page telling the user what went wrong, in their language. The OAuth error and its description are protocol
 * text, so they are kept under "Technical details" (`translate="no"`); `error` is recorded for the logs.
 */
export function errorPage(
  ctx: PageContext,
  status: number,
  message: { title: MessageKey; text: MessageKey; back?: WayBack },
  error?: ResponseError & { description?: string },
): CoreResponse {
  const details =
    error?.description !== undefined
      ? html`<details>
          <summary>${ctx.t.html('error.details')}</summary>
          <p translate="no" lang="en"><code>${error.error}</code>: ${error.description}</p>
        </details>`
      : '';
  const back = message.back ? wayBackLink(ctx, message.back) : '';
  const res = page(ctx, status, {
    title: message.title,
    label: 'brand.signIn',
    content: html`<h1>${ctx.t.html(message.title)}</h1>
      <p role="alert">${ctx.t.html(message.text)}</p>
      ${details}${back}`,
  });
  if (error) res.error = { error: error.error, ...(error.detail !== undefined && { detail: error.detail }) };
  return res;
}

/**
 * A failure of the server's own (the table, the signing key) on a hosted page: 503 with `Retry-After` when it
 * passes, else 500. Its writes are all or nothing, so the user may simply try again.
 */
export function failurePage(ctx: PageContext, e: OAuthError): CoreResponse {
  const passes = e.error === 'temporarily_unavailable';
  const res = passes
    ? errorPage(ctx, e.status, { title: 'error.busy.title', text: 'error.busy.message' })
    : errorPage(ctx, e.status, { title: 'error.generic.title', text: 'error.server.message' });
  return { ...res, headers: { ...res.headers, ...e.headers }, error: responseError(e) };
}

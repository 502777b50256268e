// The local server's own pages (home page, demo results): their stylesheet and content, in the pages' common shell.
import type { CoreResponse } from '../core/http.js';
import type { ClientRegistration } from '../core/model.js';
import { html, type Html, pageShell } from '../core/pages/html.js';
import type { LocalUserConfig } from './config.js';

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f6fb;--card:#fff;--text:#1b2330;--muted:#5b6678;--line:#dde3ee;--accent:#2f5bea;--accent-text:#fff;--code:#eef1f8;--ok:#0f7b3f;--danger:#b42318;--focus:#9db5ff}
@media (prefers-color-scheme:dark){:root{--bg:#0f141c;--card:#171e29;--text:#e7ecf4;--muted:#9aa6b8;--line:#2a3444;--accent:#7096ff;--accent-text:#0b1020;--code:#111823;--ok:#6fd49a;--danger:#ff8a80;--focus:#3d5fc4}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.wrap{max-width:1040px;margin:0 auto;padding:32px 20px 48px}
header{margin-bottom:24px}
.brand{font-size:.8rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 .5rem}
h1{font-size:1.6rem;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:0 0 .75rem}
h3{font-size:.8rem;letter-spacing:.06em;text-transform:uppercase;color:var(--muted);margin:1.25rem 0 .4rem}
p{margin:.4rem 0}
.muted{color:var(--muted)}
a{color:var(--accent)}
a:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:4px}
.grid{display:grid;gap:20px;grid-template-columns:repeat(auto-fill,minmax(min(100%,460px),1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:24px;box-shadow:0 8px 30px rgba(15,23,42,.06);min-width:0}
.card+.card{margin-top:20px}
.grid .card+.card{margin-top:0}
.card+.grid{margin-top:20px}
code,pre{font:.85rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:var(--code);padding:.1rem .35rem;border-radius:5px;overflow-wrap:anywhere}
pre{background:var(--code);padding:12px 14px;border-radius:8px;overflow:auto;margin:.4rem 0 0}
pre code{background:none;padding:0}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain li{padding:.3rem 0;border-top:1px solid var(--line)}
ul.plain li:first-child{border-top:0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem .35rem 0;border-top:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}
.button{display:inline-block;margin-top:1.25rem;padding:.65rem 1rem;border-radius:8px;background:var(--accent);color:var(--accent-text);font-weight:600;text-decoration:none}
.button:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.ok{color:var(--ok);font-weight:600}
.fail{color:var(--danger);font-weight:600}
.alert{border:1px solid var(--danger);color:var(--danger);border-radius:8px;padding:.6rem .8rem;margin:1rem 0}
`;

/** Nothing here posts a form, so none may; nothing loads an image either. */
const shell = pageShell(STYLE, "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");

export function localPage(status: number, title: string, content: Html, cookies?: string[]): CoreResponse {
  return shell(status, title, html`<div class="wrap">${content}</div>`, cookies);
}

/** A page that explains one outcome, with the way back home. */
export function messagePage(status: number, title: string, message: string, detail?: Html): CoreResponse {
  return localPage(
    status,
    title,
    html`<header>
        <p class="brand">cdk-authorization-server · local</p>
        <h1>${title}</h1>
      </header>
      <section class="card">
        <p role="alert">${message}</p>
        ${detail ?? ''}
        <p><a href="/">Back to the workspaces</a></p>
      </section>`,
  );
}

export interface HomeWorkspace {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly issuer: string;
  readonly clients: readonly ClientRegistration[];
  readonly usernames: readonly string[];
  /** Where the "try it" button starts the demo relying party, when the workspace has a client for it. */
  readonly tryUrl?: string;
  /** The identity sources its login page offers. */
  readonly sources: readonly { readonly name: string; readonly issuer: string }[];
}

export interface HomePage {
  readonly workspaces: readonly HomeWorkspace[];
  /** Shown only for the documented demo workspace; a config file's passwords are never displayed. */
  readonly demo?: {
    readonly users: readonly LocalUserConfig[];
    readonly upstreamUsers: readonly LocalUserConfig[];
    readonly backendSecret: string;
  };
}

const AUTH_LABELS: Readonly<Record<ClientRegistration['tokenEndpointAuthMethod'], string>> = {
  none: 'public, PKCE',
  client_secret_basic: 'confidential, client_secret_basic',
  client_secret_post: 'confidential, client_secret_post',
  private_key_jwt: 'confidential, private_key_jwt',
};

function workspaceCard(ws: HomeWorkspace, index: number): Html {
  const id = `ws-${index}`;
  const links: Array<[string, string]> = [
    ['OpenID Connect discovery', `${ws.issuer}/.well-known/openid-configuration`],
    [
      'OAuth 2.0 server metadata (RFC 8414)',
      `${new URL(ws.issuer).origin}/.well-known/oauth-authorization-server/${ws.tenantId}/${ws.workspaceId}`,
    ],
    ['Signing keys (JWKS)', `${ws.issuer}/.well-known/jwks.json`],
  ];
  return html`<article class="card" aria-labelledby="${id}">
    <h2 id="${id}">${ws.tenantId} / ${ws.workspaceId}</h2>
    <p class="muted">Issuer</p>
    <p><code>${ws.issuer}</code></p>
    <h3>Metadata</h3>
    <ul class="plain">
      ${links.map(([label, href]) => html`<li><a href="${href}">${label}</a></li>`)}
    </ul>
    <h3>Clients</h3>
    ${
      ws.clients.length
        ? html`<ul class="plain">
            ${ws.clients.map(
              (c) =>
                html`<li>
                  <code>${c.clientId}</code> ${c.clientName ?? ''}
                  <span class="muted">(${AUTH_LABELS[c.tokenEndpointAuthMethod]})</span>
                </li>`,
            )}
          </ul>`
        : html`<p class="muted">None configured.</p>`
    }
    <h3>Users</h3>
    <p>${ws.usernames.length ? ws.usernames.join(', ') : html`<span class="muted">None configured.</span>`}</p>
    ${
      ws.sources.length
        ? html`<h3>Identity sources</h3>
            <ul class="plain">
              ${ws.sources.map((s) => html`<li>${s.name} <span class="muted">(<code>${s.issuer}</code>)</span></li>`)}
            </ul>`
        : ''
    }
    ${ws.tryUrl ? html`<a class="button" href="${ws.tryUrl}">Try the sign-in flow</a>` : ''}
  </article>`;
}

function demoCard(demo: NonNullable<HomePage['demo']>): Html {
  return html`<section class="card" aria-labelledby="demo-credentials">
    <h2 id="demo-credentials">Demo credentials</h2>
    <p class="muted">
      The demo workspace is seeded because no configuration file was given. These values are for local use only.
    </p>
    <table>
      <thead>
        <tr>
          <th scope="col">Username</th>
          <th scope="col">Password</th>
        </tr>
      </thead>
      <tbody>
        ${demo.users.map(
          (u) =>
            html`<tr>
              <td><code>${u.username}</code></td>
              <td><code>${u.password}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p>Client secret of <code>demo-backend</code>: <code>${demo.backendSecret}</code></p>
    <h3>Federation</h3>
    <p>
      <code>demo/upstream</code> is the identity source of <code>demo/main</code>, standing in for a corporate OpenID
      provider (an OpenID provider is what this server is). Try the sign-in flow of <code>demo/main</code> and choose
      <strong>Continue with Demo upstream</strong>: sign in there as
      ${demo.upstreamUsers.map((u) => html`<code>${u.username}</code> / <code>${u.password}</code>`)}, and
      <code>demo/main</code> verifies the upstream ID token, then creates a local user linked to that account at the first
      sign-in (its own <code>sub</code>, the upstream claims copied) and refreshes its claims at every later one.
    </p>
  </section>`;
}

export function homePage(input: HomePage): CoreResponse {
  return localPage(
    200,
    'Local authorization server',
    html`<header>
        <p class="brand">cdk-authorization-server · local</p>
        <h1>Workspaces</h1>
        <p class="muted">
          Each workspace is an authorization server with its own issuer, signing key, clients and users. Point any OAuth
          2.1 or OpenID Connect client at an issuer below.
        </p>
      </header>
      ${input.demo ? demoCard(input.demo) : ''}
      <div class="grid">${input.workspaces.map(workspaceCard)}</div>`,
  );
}

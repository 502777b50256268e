// A small server-side relying party inside the local server, so a person can try the code flow in a browser.
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { randomToken, s256 } from '../core/crypto.js';
import { type CoreRequest, type CoreResponse, parseCookies, redirect, serializeCookie } from '../core/http.js';
import { parseFields } from '../core/registration/field-checker.js';
import { html, type Html } from '../core/pages/html.js';
import { DEMO_CALLBACK_PATH } from './config.js';
import { localPage, messagePage } from './pages.js';

/** A workspace the demo can sign in to, with the public client it uses there. */
export interface DemoTarget {
  /** `tenantId/workspaceId`, the `workspace` parameter of the start URL. */
  readonly key: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

export const DEMO_START_PATH = '/demo/start';
const STATE_COOKIE = 'demo_state';
/** As long as the server gives a person to log in and consent. */
const PENDING_SECONDS = 600;

interface Pending {
  readonly target: DemoTarget;
  readonly verifier: string;
  readonly nonce: string;
  readonly expiresAt: number;
}

interface Metadata {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

/** The issuer's metadata, checked the way OIDC Discovery §4.3 asks a client to; a page explaining the failure otherwise. */
async function discover(issuer: string): Promise<Metadata | CoreResponse> {
  try {
    return await fetchMetadata(issuer);
  } catch (err) {
    return messagePage(
      502,
      'Discovery failed',
      `The workspace's metadata could not be used: ${(err as Error).message}.`,
    );
  }
}

async function fetchMetadata(issuer: string): Promise<Metadata> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the discovery document answered HTTP ${res.status}`);
  const doc = (await res.json()) as Record<string, unknown>;
  if (doc.issuer !== issuer) throw new Error('the discovery document names another issuer');
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
    if (typeof doc[name] !== 'string') throw new Error(`the discovery document has no ${name}`);
  }
  return doc as unknown as Metadata;
}

export const startUrl = (target: Pick<DemoTarget, 'key'>): string =>
  `${DEMO_START_PATH}?${new URLSearchParams({ workspace: target.key })}`;

function first(req: CoreRequest, name: string): string | undefined {
  return req.query[name]?.[0];
}

type Verdict = { readonly ok: true; readonly checked: string } | { readonly ok: false; readonly reason: string };

async function verify(check: () => Promise<unknown>, checked: string): Promise<Verdict> {
  try {
    await check();
    return { ok: true, checked };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Header and claims pretty-printed, or why the token could not be decoded. */
function tokenCard(title: string, token: string | undefined, verdict: Verdict | undefined): Html {
  if (token === undefined)
    return html`<section class="card">
      <h2>${title}</h2>
      <p class="muted">Not issued.</p>
    </section>`;
  let decoded: Html;
  try {
    decoded = html`<h3>Header</h3>
      <pre><code>${JSON.stringify(decodeProtectedHeader(token), null, 2)}</code></pre>
      <h3>Claims</h3>
      <pre><code>${JSON.stringify(decodeJwt(token), null, 2)}</code></pre>`;
  } catch {
    decoded = html`<p class="muted">Not a JWT.</p>`;
  }
  const status = !verdict
    ? ''
    : verdict.ok
      ? html`<p class="ok">Verified: ${verdict.checked}.</p>`
      : html`<p class="fail">Not valid: ${verdict.reason}</p>`;
  return html`<section class="card">
    <h2>${title}</h2>
    ${status}${decoded}
  </section>`;
}

export class DemoRelyingParty {
  private readonly targets: ReadonlyMap<string, DemoTarget>;
  private readonly pending = new Map<string, Pending>();
  private readonly redirectUri: string;

  constructor(baseUrl: string, targets: readonly DemoTarget[]) {
    this.redirectUri = `${baseUrl}${DEMO_CALLBACK_PATH}`;
    this.targets = new Map(targets.map((t) => [t.key, t]));
  }

  /** `GET /demo/start?workspace=…`: a fresh state, nonce and PKCE pair, then off to the authorization endpoint. */
  readonly start = async (req: CoreRequest): Promise<CoreResponse> => {
    const target = this.targets.get(first(req, 'workspace') ?? '');
    if (!target) return messagePage(404, 'Unknown workspace', 'There is no workspace with a demo client by that name.');
    const meta = await discover(target.issuer);
    if ('status' in meta) return meta;
    const now = Math.floor(Date.now() / 1000);
    for (const [state, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(state);

    const state = randomToken();
    const pending: Pending = {
      target,
      verifier: randomToken(),
      nonce: randomToken(),
      expiresAt: now + PENDING_SECONDS,
    };
    this.pending.set(state, pending);
    const location = new URL(meta.authorization_endpoint);
    location.search = new URLSearchParams({
      response_type: 'code',
      client_id: target.clientId,
      redirect_uri: this.redirectUri,
      scope: target.scopes.join(' '),
      state,
      nonce: pending.nonce,
      code_challenge: s256(pending.verifier),
      code_challenge_method: 'S256',
    }).toString();
    // The cookie binds the state to this browser, so a callback forged elsewhere is refused.
    const cookie = serializeCookie(STATE_COOKIE, state, { path: '/demo', secure: req.secure, maxAge: PENDING_SECONDS });
    return redirect(location.href, 303, [cookie]);
  };

  /** `GET /demo/callback`: checks state and `iss`, redeems the code, verifies and shows the tokens. */
  readonly callback = async (req: CoreRequest): Promise<CoreResponse> => {
    const state = first(req, 'state');
    const pending = state === undefined ? undefined : this.pending.get(state);
    if (state !== undefined) this.pending.delete(state);
    const now = Math.floor(Date.now() / 1000);
    if (!pending || parseCookies(req)[STATE_COOKIE] !== state || pending.expiresAt <= now) {
      return messagePage(
        400,
        'Unknown sign-in',
        'This response does not belong to a sign-in started in this browser, or it has expired.',
      );
    }
    const { target } = pending;
    // RFC 9207: a response from any other issuer could be a mix-up attack.
    if (first(req, 'iss') !== target.issuer) {
      return messagePage(400, 'Wrong issuer', `The response did not come from ${target.issuer}.`);
    }
    const error = first(req, 'error');
    if (error !== undefined) {
      return messagePage(
        200,
        'Sign-in did not complete',
        `The authorization server answered ${error}.`,
        html`<p class="muted">${first(req, 'error_description') ?? ''}</p>`,
      );
    }
    const code = first(req, 'code');
    if (code === undefined) return messagePage(400, 'No code', 'The response carries neither a code nor an error.');

    const meta = await discover(target.issuer);
    if ('status' in meta) return meta;
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.redirectUri,
        client_id: target.clientId,
        code_verifier: pending.verifier,
      }),
    });
    const text = await res.text();
    const tokens = res.ok ? parseFields(text) : undefined;
    if (!tokens) {
      return messagePage(
        502,
        'The code was not redeemed',
        `The token endpoint answered HTTP ${res.status}.`,
        html`<pre><code>${text}</code></pre>`,
      );
    }
    const idToken = typeof tokens.id_token === 'string' ? tokens.id_token : undefined;
    const accessToken = typeof tokens.access_token === 'string' ? tokens.access_token : undefined;

    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
    const [idVerdict, atVerdict] = await Promise.all([
      idToken === undefined
        ? undefined
        : verify(async () => {
            const { payload } = await jwtVerify(idToken, jwks, { issuer: target.issuer, audience: target.clientId });
            if (payload.nonce !== pending.nonce) throw new Error('the nonce is not the one sent');
          }, 'signature (workspace JWKS), issuer, audience, expiry and nonce'),
      accessToken === undefined
        ? undefined
        : verify(
            () => jwtVerify(accessToken, jwks, { issuer: target.issuer, typ: 'at+jwt' }),
            'signature (workspace JWKS), issuer, expiry and typ at+jwt',
          ),
    ]);
    // The tokens themselves are decoded below; the summary only hints at them.
    const response = Object.fromEntries(
      Object.entries(tokens).map(([name, value]) => [
        name,
        name.endsWith('token') && typeof value === 'string' ? `${value.slice(0, 12)}…` : value,
      ]),
    );

    return localPage(
      200,
      'Signed in',
      html`<header>
          <p class="brand">cdk-authorization-server · local</p>
          <h1>Signed in to ${target.key}</h1>
          <p class="muted">
            The demo client <code>${target.clientId}</code> redeemed its code at the token endpoint with PKCE and
            checked the tokens below.
          </p>
        </header>
        <section class="card">
          <h2>Token response</h2>
          <pre><code>${JSON.stringify(response, null, 2)}</code></pre>
        </section>
        ${tokenCard('ID token', idToken, idVerdict)} ${tokenCard('Access token', accessToken, atVerdict)}
        <p><a class="button" href="${startUrl(target)}">Sign in again</a></p>
        <p><a href="/">Back to the workspaces</a></p>`,
      [serializeCookie(STATE_COOKIE, '', { path: '/demo', secure: req.secure, maxAge: 0 })],
    );
  };
}

// The hosted pages against a hostile web in a real browser (Chromium): script injected through every value a page
// shows or echoes never runs, and no page can be framed by another origin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalClientConfig, LocalConfig } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { launchChromium, recordCspViolations, trapScript, type ScriptTrap } from '../support/chromium.js';

/**
 * Script in the shapes that break out of HTML text, attributes (either quote), `<title>`, URLs, template literals
 * and escapes. `@` is replaced by a number naming the probe: if it runs, `window.__xss(number)` says which one.
 */
const PAYLOADS = [
  '<script>__xss(@);alert(@)</script>',
  '"><img src=x onerror=__xss(@);alert(@)>',
  "'><img src=x onerror=__xss(@)>",
  '</title><svg onload=__xss(@)>',
  '<svg/onload=__xss(@)>',
  '" autofocus onfocus="__xss(@)',
  "' autofocus onfocus='__xss(@)",
  'javascript:__xss(@)',
  '${__xss(@)}',
  '`-__xss(@)-`',
  '\\u003csvg/onload=__xss(@)\\u003e',
  '&lt;svg/onload=__xss(@)&gt;',
  '＜script＞__xss(@)＜/script＞',
  '<iframe srcdoc="<script>__xss(@)</script>"></iframe>',
] as const;

/** Where a payload goes; the probe number is `100 * sink + payload index`. */
enum Sink {
  ClientName = 1,
  LoginHint,
  State,
  Nonce,
  UiLocales,
  OtherParams,
  TypedUsername,
  Scope,
  Username,
  LogoutState,
  ErrorClientId,
  ErrorRedirectUri,
  ErrorLogout,
  ErrorTxn,
  ErrorPath,
}

const payload = (sink: Sink, i: number): string => PAYLOADS[i]!.replaceAll('@', String(100 * sink + i));
/** RFC 6749 §3.3 scope-token, what a client may register: the payloads without spaces, quotes or backslashes. */
const isScopeToken = (s: string) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s);

/** One page load's worth of payloads: the client it goes through, and the value of every other sink. */
interface Case {
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  value(sink: Sink): string;
}

/** One payload at a time, each in a context of its own: a breakout is not hidden by the payloads after it. */
const SINGLE: readonly Case[] = PAYLOADS.map((_, i) => ({
  clientId: `xss-${i}`,
  clientName: payload(Sink.ClientName, i),
  scopes: [payload(Sink.Scope, i)].filter(isScopeToken),
  value: (sink) => payload(sink, i),
}));

/**
 * Every payload at once, in few page loads: with the CSP in force any markup that escaped the escaping shows up
 * as a violation wherever it lands. Client names are at most 200 characters, so they take several clients.
 */
const all = (sink: Sink): string => PAYLOADS.map((_, i) => payload(sink, i)).join('');
const COMBINED: readonly Case[] = PAYLOADS.map((_, i) => payload(Sink.ClientName, i))
  .reduce<string[]>((names, p) => {
    const last = names.at(-1);
    if (last !== undefined && last.length + p.length <= 200) names[names.length - 1] = last + p;
    else names.push(p);
    return names;
  }, [])
  .map((clientName, j) => ({
    clientId: `xss-all-${j}`,
    clientName,
    scopes: PAYLOADS.map((_, i) => payload(Sink.Scope, i)).filter(isScopeToken),
    value: all,
  }));

/** Every payload in one username (at most 512 bytes), shown as text on the consent page once signed in. */
const PAYLOAD_USERNAME = all(Sink.Username);
const PASSWORD = 'probe-user-password';

let server: LocalServer;
let issuer: string;
/** A second origin: the client's callback and sign-out pages, and the hostile pages that try to frame ours. */
let other: Server;
let otherUrl: string;
let browser: Browser;

function probeConfig(): LocalConfig {
  const client = (clientId: string, clientName: string, scopes: string[]): LocalClientConfig => ({
    clientId,
    clientName,
    tokenEndpointAuthMethod: 'none',
    redirectUris: [`${otherUrl}/callback`],
    postLogoutRedirectUris: [`${otherUrl}/signed-out`],
    grantTypes: ['authorization_code'],
    scopes: ['openid', ...scopes],
  });
  return {
    workspaces: [
      {
        tenantId: 'probe',
        workspaceId: 'pages',
        clients: [
          client('app', 'Probe app', ['profile']),
          ...[...SINGLE, ...COMBINED].map((c) => client(c.clientId, c.clientName, [...c.scopes])),
        ],
        users: [{ username: PAYLOAD_USERNAME, password: PASSWORD, claims: {} }],
      },
    ],
  };
}

/** The other origin's pages: inert text, except `/frame?src=`, a page that frames `src`. */
function startOtherOrigin(): Promise<Server> {
  const page = (body: string) => `<!doctype html><html><head><title>other</title></head><body>${body}</body></html>`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/frame') {
      const src = url.searchParams.get('src') ?? '';
      res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
      // Quoted and escaped: the URL is the test's own, but `&` must stay `&` in an attribute.
      res.end(page(`<iframe name="target" src="${src.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"></iframe>`));
      return;
    }
    if (url.pathname === '/csp-control') {
      // Known to break the rules, to show the test's detectors see what they look for.
      res.writeHead(200, {
        'content-type': 'text/html;charset=utf-8',
        'content-security-policy': "default-src 'none'",
      });
      res.end(page('<script>__xss(0)</script>'));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain;charset=utf-8' }).end(url.pathname);
  });
  return new Promise((resolve) => server.listen(0, 'localhost', () => resolve(server)));
}

beforeAll(async () => {
  other = await startOtherOrigin();
  otherUrl = `http://localhost:${(other.address() as AddressInfo).port}`;
  [server, browser] = await Promise.all([
    startLocalServer({ port: 0, quiet: true, config: probeConfig(), dynamoEndpoint: inject('dynamoDbEndpoint') }),
    launchChromium(),
  ]);
  issuer = server.issuers[0]!;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => other?.close(resolve));
});

function authorizeUrl(clientId: string, params: Record<string, string> = {}): string {
  return `${issuer}/oauth2/authorize?${new URLSearchParams({
    client_id: clientId,
    redirect_uri: `${otherUrl}/callback`,
    response_type: 'code',
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...params,
  })}`;
}

interface Probe {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly trap: ScriptTrap;
  readonly cspViolations: string[];
}

/**
 * A browser profile that records script the pages run. With `bypassCSP` Chromium ignores the pages' CSP, so what
 * is tested is the escaping alone; without, what a user gets: the escaping and the CSP behind it.
 */
async function probe(bypassCSP: boolean, storageState?: StorageState): Promise<Probe> {
  const context = await browser.newContext({ bypassCSP, ...(storageState && { storageState }) });
  const trap = await trapScript(context);
  const page = await context.newPage();
  return { context, page, trap, cspViolations: recordCspViolations(page) };
}

type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;
let signedIn: Promise<StorageState> | undefined;

/** The cookies of a browser signed in, by the login form, as the user whose name is every payload; once per run. */
function signedInState(): Promise<StorageState> {
  return (signedIn ??= (async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl('app'));
    await page.getByLabel('Username').fill(PAYLOAD_USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const state = await context.storageState();
    await context.close();
    return state;
  })());
}

const twoFrames = (page: Page) =>
  page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

/**
 * Nothing ran; with the CSP in force, nothing even tried (an injected handler or script is a violation). Checked
 * after two frames have been drawn, so that autofocus and failed images have had their turn.
 */
async function expectNothingRan({ page, trap, cspViolations }: Probe): Promise<void> {
  await twoFrames(page);
  expect(trap.calls, 'the probes that ran (100 × sink + payload index)').toEqual([]);
  expect(trap.dialogs, 'dialogs opened').toEqual([]);
  expect(cspViolations).toEqual([]);
}

/**
 * Opens a page, checks that nothing ran, then that it is the page expected. What the page shows is checked softly
 * after it, so a page garbled by one payload does not keep the payloads after it from being tried.
 */
async function visit(p: Probe, url: string, heading: string | RegExp): Promise<void> {
  await p.page.goto(url);
  await expectNothingRan(p);
  await p.page.getByRole('heading', { name: heading }).waitFor();
}

describe.each([
  { mode: 'one payload at a time, with the CSP bypassed (the escaping alone)', bypassCSP: true, cases: SINGLE },
  { mode: 'all payloads at once, with the CSP in force', bypassCSP: false, cases: COMBINED },
])('script in the hosted pages never runs: $mode', ({ bypassCSP, cases }) => {
  it('the detectors see script that runs and script the CSP blocks', async () => {
    const p = await probe(bypassCSP);
    await p.page.goto(`${otherUrl}/csp-control`);
    await twoFrames(p.page);
    if (bypassCSP) {
      expect(p.trap.calls).toEqual(['0']);
      await p.page.evaluate(() => alert('dialog check'));
      expect(p.trap.dialogs).toEqual(['alert: dialog check']);
    } else {
      expect(p.trap.calls).toEqual([]);
      expect(p.cspViolations.length).toBeGreaterThan(0);
    }
    await p.context.close();
  });

  it('login page: client_name, login_hint, state, nonce, ui_locales and other parameters, and the username typed', async () => {
    const p = await probe(bypassCSP);
    for (const c of cases) {
      await visit(
        p,
        authorizeUrl(c.clientId, {
          login_hint: c.value(Sink.LoginHint),
          state: c.value(Sink.State),
          nonce: c.value(Sink.Nonce),
          ui_locales: c.value(Sink.UiLocales),
          claims_locales: c.value(Sink.OtherParams),
          acr_values: c.value(Sink.OtherParams),
          display: c.value(Sink.OtherParams),
        }),
        'Sign in to continue',
      );
      expect.soft(await p.page.title()).toBe('Sign in');
      expect.soft(await p.page.locator('main > p').first().innerText()).toBe(`to ${c.clientName}`);
      expect.soft(await p.page.getByLabel('Username').inputValue()).toBe(c.value(Sink.LoginHint));
    }
    // Typed like a person would, and echoed back by the failed sign-in into the username field's value, the slot
    // login_hint filled above one payload at a time. Each failure costs a password hash, so all at once here.
    await p.page.getByLabel('Username').fill(all(Sink.TypedUsername));
    await p.page.getByLabel('Password').fill('not the password');
    await p.page.getByRole('button', { name: 'Sign in' }).click();
    await p.page.waitForURL(/\/consent$/);
    await expectNothingRan(p);
    await p.page.getByRole('alert').waitFor();
    expect.soft(await p.page.getByLabel('Username').inputValue()).toBe(all(Sink.TypedUsername));
    await p.context.close();
  });

  it('consent and sign-out pages: client_name, scope, the username, and the logout state', async () => {
    const p = await probe(bypassCSP, await signedInState());
    // The consent page shows values only as text, where payloads cannot hide one another: all at once in either mode.
    for (const c of COMBINED) {
      await visit(p, authorizeUrl(c.clientId, { scope: ['openid', ...c.scopes].join(' ') }), /wants access$/);
      expect.soft(await p.page.title()).toBe('Allow access');
      expect.soft(await p.page.getByRole('heading').innerText()).toBe(`${c.clientName} wants access`);
      expect
        .soft(await p.page.getByRole('listitem').allInnerTexts())
        .toEqual([expect.stringMatching(/^openid\n/), ...c.scopes]);
      expect.soft(await p.page.locator('main > p').first().innerText()).toContain(PAYLOAD_USERNAME);
    }
    // The sign-out form carries the state in an attribute.
    for (const c of cases) {
      await visit(
        p,
        `${issuer}/oauth2/logout?${new URLSearchParams({
          client_id: c.clientId,
          post_logout_redirect_uri: `${otherUrl}/signed-out`,
          state: c.value(Sink.LogoutState),
        })}`,
        'Sign out of probe/pages?',
      );
      expect.soft(await p.page.title()).toBe('Sign out');
      expect.soft(await p.page.locator('main > p').first().innerText()).toBe(`${c.clientName} asks you to sign out.`);
    }
    await p.context.close();
  });

  // These pages show fixed texts only, so the payloads are all sent at once in either mode.
  it('error pages: a bad client_id, redirect_uri (a javascript: URL too), post_logout_redirect_uri, transaction or path', async () => {
    const p = await probe(bypassCSP);
    await visit(
      p,
      `${issuer}/oauth2/authorize?${new URLSearchParams({ client_id: all(Sink.ErrorClientId) })}`,
      'This sign-in link is not valid',
    );
    await visit(
      p,
      authorizeUrl('app', { redirect_uri: all(Sink.ErrorRedirectUri), state: all(Sink.ErrorRedirectUri) }),
      'This sign-in link is not valid',
    );
    await visit(
      p,
      `${issuer}/oauth2/logout?${new URLSearchParams({
        client_id: 'app',
        post_logout_redirect_uri: all(Sink.ErrorLogout),
        state: all(Sink.ErrorLogout),
      })}`,
      'This sign-out link is not valid',
    );
    await visit(
      p,
      `${issuer}/consent?${new URLSearchParams({ txn: all(Sink.ErrorTxn) })}`,
      'This sign-in request has expired',
    );
    // A script URL on its own where a URL is expected: refused with a page, never followed.
    const scriptUrl = (sink: Sink) => payload(sink, PAYLOADS.indexOf('javascript:__xss(@)'));
    await visit(
      p,
      authorizeUrl('app', { redirect_uri: scriptUrl(Sink.ErrorRedirectUri) }),
      'This sign-in link is not valid',
    );
    await visit(
      p,
      `${issuer}/oauth2/logout?${new URLSearchParams({
        client_id: 'app',
        post_logout_redirect_uri: scriptUrl(Sink.ErrorLogout),
      })}`,
      'This sign-out link is not valid',
    );
    const res = await p.page.goto(`${issuer}/${encodeURIComponent(all(Sink.ErrorPath))}`);
    expect(res?.status()).toBe(404);
    await expectNothingRan(p);
    await p.context.close();
  });
});

describe('framing', () => {
  it('another origin cannot frame the login, consent, error or sign-out page; without their headers it could', async () => {
    // Signed in, with a consent page waiting. The framing origin is the same site (localhost, another port), so
    // the frames carry this browser's cookies and, unless refused, would show the real pages.
    const context = await browser.newContext({ storageState: await signedInState() });
    const page = await context.newPage();
    await page.goto(authorizeUrl('app', { scope: 'openid profile' }));
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const consentUrl = page.url();
    // Framed directly, not through the authorization endpoint's redirect, so the frames load one response each.
    await page.goto(authorizeUrl('app', { prompt: 'login' }));
    await page.getByLabel('Password').waitFor();
    const targets = [
      { name: 'login', url: page.url(), heading: 'Sign in to continue' },
      { name: 'consent', url: consentUrl, heading: 'Probe app wants access' },
      {
        name: 'error',
        url: `${issuer}/oauth2/authorize?client_id=unknown-app`,
        heading: 'This sign-in link is not valid',
      },
      {
        name: 'sign-out',
        url: `${issuer}/oauth2/logout?${new URLSearchParams({
          client_id: 'app',
          post_logout_redirect_uri: `${otherUrl}/signed-out`,
        })}`,
        heading: 'Sign out of probe/pages?',
      },
    ];
    const framing = (url: string) => `${otherUrl}/frame?${new URLSearchParams({ src: url })}`;

    for (const target of targets) {
      const refused = page.waitForEvent('console', (msg) => msg.text().includes("frame-ancestors 'none'"));
      await page.goto(framing(target.url));
      expect((await refused).text(), target.name).toMatch(/violates .*frame-ancestors 'none'.*blocked/);
      const frame = page.frame({ name: 'target' })!;
      expect(frame.url(), target.name).toMatch(/^chrome-error:/);
      // Chromium's own error page stands in the frame: nothing of the page, no form of ours.
      expect(await frame.getByRole('heading', { name: target.heading }).count(), target.name).toBe(0);
      expect(await frame.locator('form[method="post"], input[name="csrf"]').count(), target.name).toBe(0);
    }

    // The same frames with the pages' framing headers taken off show the pages: the headers are what refuses them.
    await context.route(
      (url) => url.origin === server.url,
      async (route) => {
        const response = await route.fetch();
        const headers = response.headers();
        delete headers['x-frame-options'];
        delete headers['content-security-policy'];
        await route.fulfill({ response, headers });
      },
    );
    for (const target of targets) {
      await page.goto(framing(target.url));
      await page.frame({ name: 'target' })!.getByRole('heading', { name: target.heading }).waitFor();
    }
    await context.close();
  });
});

// The hosted pages in every language: catalogues complete, the language chosen by ui_locales or Accept-Language and
// kept through the sign-in, and no text on any page that is not from the page language's catalogue or user data.
import { beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES, negotiateLanguage, type Language } from '../../lambdas/core/pages/languages.js';
import { CATALOGUES, type MessageKey } from '../../lambdas/core/pages/messages.js';
import { ConditionFailed } from '../../lambdas/core/errors.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent, hiddenField, type AgentResponse } from '../support/agent.js';
import { federatedPair, federatedSignIn, type FederatedPair } from '../support/federation.js';
import { authorizeUrl, follow, obtainCode, submitDecision, submitLogin, validRequest } from '../support/flow.js';
import { normalize, visibleTexts } from '../support/page-text.js';
import { firstPartyClient, newTestWorkspace, publicClient, type TestWorkspace } from '../support/workspace.js';

describe('negotiateLanguage', () => {
  it.each([
    [undefined, undefined, 'en'],
    ['de', undefined, 'de'],
    ['fr-CA de', 'de', 'fr'],
    ['ja pt-BR de-AT', undefined, 'de'],
    ['ja', 'fr;q=0.5, de;q=0.9, en;q=0.1', 'de'],
    [undefined, 'de;q=0, fr', 'fr'],
    [undefined, '*, fr;q=0.2', 'fr'],
    [undefined, 'FR-fr', 'fr'],
    [undefined, 'it, es;q=0.8', 'en'],
    [undefined, 'de;q=garbage, fr;q=0.9', 'de'],
    ['', ';;,,;q=', 'en'],
  ] as const)('ui_locales %j, Accept-Language %j: %s', (uiLocales, acceptLanguage, expected) => {
    expect(negotiateLanguage(uiLocales, acceptLanguage)).toBe(expected);
  });

  it('reads at most 32 tags of a long header', () => {
    expect(negotiateLanguage(undefined, `${'xx, '.repeat(40)}de`)).toBe('en');
  });
});

const PLACEHOLDER = /\{([a-z]+)\}/g;

describe('the catalogues', () => {
  const englishKeys = Object.keys(CATALOGUES.en).sort();

  it.each(LANGUAGES)('%s has every key, each with the English placeholders, and nothing else', (language) => {
    const catalogue = CATALOGUES[language];
    expect(Object.keys(catalogue).sort()).toEqual(englishKeys);
    for (const key of englishKeys as MessageKey[]) {
      expect(catalogue[key].trim(), key).not.toBe('');
      const names = (text: string) => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]).sort();
      expect(names(catalogue[key]), key).toEqual(names(CATALOGUES.en[key]));
    }
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s translates every message', (language) => {
    const same = (Object.keys(CATALOGUES.en) as MessageKey[]).filter(
      (k) => CATALOGUES[language][k] === CATALOGUES.en[k],
    );
    expect(same).toEqual([]);
  });
});

/** What a text node of a page may be, in one language: a message or a piece of one between its placeholders. */
function allowedTexts(language: Language): Set<string> {
  const allowed = new Set<string>(['']);
  for (const message of Object.values(CATALOGUES[language])) {
    allowed.add(normalize(message.replace(PLACEHOLDER, '')));
    for (const piece of message.split(PLACEHOLDER).filter((_, i) => i % 2 === 0)) allowed.add(normalize(piece));
  }
  return allowed;
}

const SCOPE_DESCRIPTIONS = {
  'orders:read': { en: 'Read your orders', de: 'Ihre Bestellungen lesen', fr: 'Lire vos commandes' },
};
const BRANDING = {
  displayName: 'Acme Identity',
  logoUrl: 'https://cdn.acme.example/logo.svg',
  primaryColor: '#0b6e4f',
  supportUrl: 'https://help.acme.example/sign-in',
};

let t: TestWorkspace;
let ws: Workspace;
let pair: FederatedPair;
let federated: Workspace;
beforeAll(async () => {
  t = await newTestWorkspace();
  ws = { ...t.ws, branding: BRANDING, scopeDescriptions: SCOPE_DESCRIPTIONS };
  pair = await federatedPair();
  federated = { ...pair.main.ws, branding: BRANDING };
  // A linked user, disabled: its next sign-in at the source is refused with a page.
  await federatedSignIn({ main: new Agent(pair.main.ws), upstream: new Agent(pair.upstream.ws) });
  const linked = (await pair.main.stores.directory.listUsers()).find((u) => u.link !== undefined);
  await pair.main.stores.directory.updateUser(linked!.username, { disabled: true });
});

/** User data and names a page may show in any language. */
const DATA = [
  publicClient.clientName!,
  BRANDING.displayName,
  'alice',
  'wrong-user',
  'Corp SSO',
  firstPartyClient.clientName!,
  'openid',
  'profile',
  'email',
  'orders:read',
].sort((a, b) => b.length - a.length);

function expectAllFrom(language: Language, name: string, page: AgentResponse) {
  expect(page.headers['content-type'], name).toMatch(/^text\/html/);
  expect(page.body, name).toContain(`<html lang="${language}">`);
  const allowed = allowedTexts(language);
  const custom = Object.values(SCOPE_DESCRIPTIONS).map((d) => d[language]);
  const foreign: string[] = [];
  expect(visibleTexts(page.body).length, name).toBeGreaterThanOrEqual(4);
  for (const text of visibleTexts(page.body)) {
    if (custom.includes(text) || allowed.has(text)) continue;
    let rest = text;
    for (const data of DATA) rest = rest.split(data).join('');
    if (!allowed.has(normalize(rest))) foreign.push(text);
  }
  expect(foreign, `${name} in ${language}: texts not from the ${language} catalogue`).toEqual([]);
  if (language !== 'en') {
    const shown = visibleTexts(page.body).join('\n');
    const english = Object.values(CATALOGUES.en)
      .map((m) => normalize(m.replace(PLACEHOLDER, '')))
      .filter((m) => m.length > 3 && !allowed.has(m));
    expect(
      english.filter((m) => shown.includes(m)),
      `${name} in ${language}`,
    ).toEqual([]);
  }
}

describe.each(LANGUAGES)('every page in %s', (language) => {
  it('has only catalogue text and user data, and keeps ui_locales through the sign-in and sign-out', async () => {
    const agent = new Agent(ws);
    const pages: [string, AgentResponse][] = [];
    const { params } = validRequest('spa', 'https://spa.example.com/callback', 'openid profile email orders:read');

    // ui_locales only on the first request: the later pages follow it through the transaction, never a header.
    // prompt=consent: alice consented in the languages before.
    const started = await agent.get(
      authorizeUrl({ ...params, prompt: 'consent', ui_locales: `x-unknown ${language}` }),
    );
    const login = await follow(agent, started);
    pages.push(['login', login]);
    const wrong = await submitLogin(agent, login, 'wrong-user', 'not the password');
    expect(wrong.body).toContain('id="login-error"');
    pages.push(['login with an error', wrong]);
    const consent = await follow(agent, await submitLogin(agent, wrong));
    expect(consent.body).toContain('name="decision"');
    expect(consent.body).toContain(SCOPE_DESCRIPTIONS['orders:read'][language]);
    pages.push(['consent with a custom scope', consent]);
    expect((await submitDecision(agent, consent, 'allow')).status).toBe(303);

    pages.push([
      'invalid sign-in link',
      await agent.get(authorizeUrl({ ...params, client_id: 'nobody', ui_locales: language })),
    ]);
    pages.push([
      'expired sign-in (by Accept-Language)',
      await agent.get('consent?txn=AAAAAAAAAAAAAAAAAAAAAA', {
        headers: { 'Accept-Language': `${language}, en;q=0.1` },
      }),
    ]);
    pages.push([
      'invalid sign-out link',
      await agent.get(
        `oauth2/logout?client_id=spa&post_logout_redirect_uri=https://evil.example&ui_locales=${language}`,
      ),
    ]);
    const confirm = await agent.get(`oauth2/logout?client_id=spa&ui_locales=${language}`);
    expect(confirm.body).toContain('name="logout" value="confirm"');
    pages.push(['sign-out confirmation', confirm]);
    const form = Object.fromEntries(
      ['client_id', 'ui_locales', 'csrf'].map((name) => [name, hiddenField(confirm.body, name)]),
    );
    const signedOut = await agent.post('oauth2/logout', { form: { ...form, logout: 'confirm' } });
    pages.push(['signed-out page', signedOut]);

    for (const [name, page] of pages) expectAllFrom(language, name, page);
    if (language !== 'en') {
      // The check itself: one English label slipped into the page is caught.
      const slipped = { ...signedOut, body: signedOut.body.replace('</h1>', '</h1><p>You are signed out</p>') };
      expect(() => expectAllFrom(language, 'a page with an English text', slipped)).toThrow(/not from the/);
    }
  });

  it('has only catalogue text on the identity source pages and the failure pages too', async () => {
    const pages: [string, AgentResponse][] = [];
    const browser = { main: new Agent(federated), upstream: new Agent(pair.upstream.ws) };
    const request = validRequest('first', 'https://first.example.com/cb');
    const start = () => browser.main.get(authorizeUrl({ ...request.params, ui_locales: language }));
    const choose = (login: AgentResponse, source: string) =>
      browser.main.post('consent', {
        form: { txn: hiddenField(login.body, 'txn'), csrf: hiddenField(login.body, 'csrf'), source },
      });
    const callback = (query: Record<string, string>) =>
      browser.main.get(`federation/callback?${new URLSearchParams(query)}`);

    const login = await follow(browser.main, await start());
    expect(login.body).toContain('name="source" value="corp"');
    pages.push(['login with source buttons', login]);
    pages.push(['a source not offered', await choose(login, 'nowhere')]);
    let state = (await choose(login, 'corp')).location!.searchParams.get('state')!;
    pages.push([
      'source unavailable',
      await callback({ error: 'temporarily_unavailable', state, iss: pair.upstream.ws.issuer }),
    ]);
    state = (await choose(login, 'corp')).location!.searchParams.get('state')!;
    pages.push([
      'sign-in at the source not verified',
      await callback({ code: 'c', state, iss: 'https://evil.example' }),
    ]);
    const toSource = await choose(login, 'corp');
    const code = await obtainCode(browser.upstream, Object.fromEntries(toSource.location!.searchParams));
    const blocked = await browser.main.get(code.href);
    expect(blocked.status).toBe(403);
    pages.push(['linked user disabled', blocked]);
    const noPasswords = new Agent({
      ...federated,
      settings: { ...federated.settings, builtInUsers: false },
      federation: {
        ...federated.federation,
        sources: [...federated.federation.sources, { ...federated.federation.sources[0]!, id: 'other' }],
      },
    });
    const choice = await follow(
      noPasswords,
      await noPasswords.get(authorizeUrl({ ...request.params, ui_locales: language })),
    );
    pages.push(['a password where there are none', await submitLogin(noPasswords, choice)]);

    // The server's own failures: one that passes (503, busy), one that does not (500).
    const failing = (error: Error) =>
      new Agent({ ...ws, clients: { ...ws.clients, get: () => Promise.reject(error) } });
    const busy = await failing(new ConditionFailed('refused')).get(
      authorizeUrl({ ...request.params, ui_locales: language }),
    );
    expect(busy.status).toBe(503);
    pages.push(['busy', busy]);
    const failed = await failing(new Error('table gone')).get(
      authorizeUrl({ ...request.params, ui_locales: language }),
    );
    expect(failed.status).toBe(500);
    pages.push(['server failure', failed]);

    for (const [name, page] of pages) expectAllFrom(language, name, page);
  });
});

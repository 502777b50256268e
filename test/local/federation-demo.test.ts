// The demo's federation over real HTTP: demo/main signs its users in at demo/upstream, a second workspace of this server.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_UPSTREAM_USERS } from '../../lambdas/local/config.js';
import { type LocalServer, startLocalServer } from '../../lambdas/local/server.js';
import { Browser } from '../support/browser.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ port: 0, dynamoEndpoint: inject('dynamoDbEndpoint'), quiet: true });
});
afterAll(() => server?.stop());

const carol = DEMO_UPSTREAM_USERS[0]!;

/** The demo relying party's sign-in to demo/main, through the identity source: returns the page it ends on. */
async function signInThroughUpstream(browser: Browser) {
  const [main, upstream] = server.issuers;
  const start = await browser.get(`${server.url}/demo/start?workspace=demo%2Fmain`);
  const login = await browser.follow(start, server.url);
  expect(login.url.startsWith(`${main}/consent?`)).toBe(true);
  expect(login.html).toContain('Continue with Demo upstream');

  const toSource = await browser.submit(login, { source: 'upstream' });
  expect(toSource.status).toBe(303);
  const upstreamLogin = await browser.follow(toSource, login.url);
  expect(upstreamLogin.url.startsWith(`${upstream}/consent?`)).toBe(true);
  let res = await browser.submit(upstreamLogin, { username: carol.username, password: carol.password });
  // Back at demo/main's callback, then its consent page (the demo client is not first party) or straight on.
  let page = await browser.follow(res, upstreamLogin.url);
  if (page.html.includes('value="allow"')) {
    res = await browser.submit(page, { decision: 'allow' });
    page = await browser.follow(res, page.url);
  }
  return page;
}

describe('the demo workspace with its upstream source', () => {
  it('signs carol in to demo/main through demo/upstream, over HTTP, and links her once', async () => {
    const page = await signInThroughUpstream(new Browser());
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Signed in to demo/main');
    expect(page.html).toContain('&quot;email&quot;: &quot;carol@upstream.example&quot;');

    const [main, upstream] = server.workspaces;
    const upstreamCarol = await upstream!.users.findByUsername('carol');
    const linked = await main!.linkedUsers.findLinked({ sourceId: 'upstream', sub: upstreamCarol!.sub });
    expect(linked).toMatchObject({ username: `upstream:${upstreamCarol!.sub}`, claims: { name: 'Carol Upstream' } });
    expect(linked!.sub).not.toBe(upstreamCarol!.sub);

    // Another browser, another sign-in: the same local user.
    await signInThroughUpstream(new Browser());
    expect((await main!.linkedUsers.findLinked({ sourceId: 'upstream', sub: upstreamCarol!.sub }))!.sub).toBe(
      linked!.sub,
    );
  });

  it('explains the federation on the home page', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('is the identity source of <code>demo/main</code>');
    expect(html).toContain('<code>carol</code> / <code>carol-demo-password</code>');
  });
});

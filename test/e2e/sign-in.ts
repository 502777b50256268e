// The browser's part of a code flow against the local server, for the end-to-end tests: sign in, consent, stop at the callback.
import { expect } from 'vitest';
import { DEMO_USERS, type LocalUserConfig } from '../../lambdas/local/config.js';
import { Browser } from '../support/browser.js';

/** Like a browser, but stops at the redirect back to the client and returns its URL. */
export async function untilCallback(
  browser: Browser,
  start: URL,
  redirectUri: string,
  user: Pick<LocalUserConfig, 'username' | 'password'> = DEMO_USERS[0]!,
) {
  let res = await browser.get(start);
  let url = start;
  let sawLogin = false;
  let sawConsent = false;
  for (let hops = 0; hops < 10; hops++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url);
      if (url.href.startsWith(redirectUri)) return { callback: url, sawLogin, sawConsent };
      res = await browser.get(url);
      continue;
    }
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    if (html.includes('name="password"')) {
      sawLogin = true;
      res = await browser.submit({ url: url.href, html }, { username: user.username, password: user.password });
    } else if (html.includes('name="decision"')) {
      sawConsent = true;
      res = await browser.submit({ url: url.href, html }, { decision: 'allow' });
    } else {
      throw new Error(`unexpected page: ${html.slice(0, 200)}`);
    }
  }
  throw new Error('too many hops');
}

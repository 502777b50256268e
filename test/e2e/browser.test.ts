// A real browser (Chromium driven by Playwright) through the hosted login, consent and sign-out pages.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { launchChromium, recordCspViolations, screenshot } from '../support/chromium.js';

let server: LocalServer;
let browser: Browser;
const alice = DEMO_USERS[0]!;
/** Consent is remembered per user, so the tests that must see the consent page again sign in as another user. */
const bob = DEMO_USERS[1]!;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 640 };

beforeAll(async () => {
  server = await startLocalServer({ port: 0, quiet: true, dynamoEndpoint: inject('dynamoDbEndpoint') });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh browser profile that records every Content-Security-Policy violation the pages cause. */
async function newPage(viewport = DESKTOP): Promise<{ page: Page; context: BrowserContext; cspViolations: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  return { page, context, cspViolations: recordCspViolations(page) };
}

/** Where the demo relying party sends the browser to sign out: RP-initiated logout, back to the home page after. */
const logoutUrl = () =>
  `${server.issuers[0]}/oauth2/logout?${new URLSearchParams({
    client_id: 'demo-spa',
    post_logout_redirect_uri: `${server.url}/`,
  })}`;

/** From the home page's "try it" button to the login page. */
async function openLogin(page: Page) {
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Try the sign-in flow' }).first().click();
  await page.getByRole('heading', { name: 'Sign in to continue' }).waitFor();
}

async function logIn(page: Page, user = alice) {
  await openLogin(page);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('hosted pages in Chromium', () => {
  it('signs in, consents, signs in again on the session (SSO), signs out from the application, with no CSP violation', async () => {
    const { page, context, cspViolations } = await newPage();
    await logIn(page);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.getByRole('list', { name: 'Requested permissions' }).innerText()).toContain('email');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/demo\/callback/);
    const text = await page.locator('body').innerText();
    expect(text).toContain(String(alice.claims.email));
    expect(text).toContain('at+jwt');

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'authz_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/demo/main/' });

    // The second authorization rests on the session: straight back with a code, no login form and no consent page.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname);
    });
    await page.getByRole('link', { name: 'Sign in again' }).click();
    await page.waitForURL(/\/demo\/callback/);
    expect(await page.locator('body').innerText()).toContain(String(alice.claims.email));
    expect(visited.filter((path) => path.endsWith('/consent'))).toEqual([]);

    // RP-initiated logout: the application sends the browser to the end-session endpoint, the user confirms.
    await page.goto(logoutUrl());
    await page.getByRole('heading', { name: 'Sign out of demo/main?' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Demo single-page app asks you to sign out.');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/`);
    expect((await context.cookies()).find((c) => c.name === 'authz_session')).toBeUndefined();

    // The session is gone: the next authorization asks for the password again.
    await openLogin(page);
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/demo\/callback/);
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('the username field has focus first, the form works from the keyboard alone, and Deny tells the application', async () => {
    const { page, context } = await newPage();
    await openLogin(page);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('username');
    await page.keyboard.type(bob.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(bob.password);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(/\/demo\/callback/);
    expect(await page.locator('body').innerText()).toContain('access_denied');
    await context.close();
  });

  it('a wrong password shows a generic message announced to assistive technology', async () => {
    const { page, context } = await newPage();
    await openLogin(page);
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    expect(await alert.innerText()).toBe('The username or password is incorrect.');
    expect(await page.getByLabel('Username').inputValue()).toBe(alice.username);
    await context.close();
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    const { page, context } = await newPage({ width: 360, height: 640 });
    await openLogin(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await context.close();
  });

  it('login, consent, sign-out and error pages on a desktop and a phone: screenshots, no overflow, no CSP violation', async () => {
    const { page, context, cspViolations } = await newPage();
    const capture = async (name: string) => {
      for (const [screen, viewport] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(viewport);
        await screenshot(page, `${name}-${screen}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} page on a ${screen} scrolls sideways`).toBeLessThanOrEqual(0);
      }
    };
    await openLogin(page);
    await capture('login');
    await page.getByLabel('Username').fill(bob.username);
    await page.getByLabel('Password').fill(bob.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await capture('consent');
    await page.goto(logoutUrl());
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await capture('logout');
    await page.goto(`${server.issuers[0]}/oauth2/authorize?client_id=unknown-app`);
    await page.getByRole('heading', { name: 'This sign-in link is not valid' }).waitFor();
    await capture('error');
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('refuses to be framed, even by a page of its own origin', async () => {
    const { page, context } = await newPage();
    await openLogin(page);
    const loginUrl = page.url();
    // a same-origin document without a CSP of its own, so only the login page's headers can stop the frame
    await page.goto(`${server.issuers[0]}/.well-known/openid-configuration`);
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
    }, loginUrl);
    await page.waitForTimeout(1500);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    expect(framed).toBeDefined();
    expect(await framed!.locator('input[name="password"]').count()).toBe(0);
    await context.close();
  });
});

// A real browser (Chromium driven by Playwright) through the hosted login and consent pages.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';

/** Debian's Chromium; Playwright's own browser download is not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: LocalServer;
let browser: Browser;
const alice = DEMO_USERS[0]!;
/** Consent is remembered per user, so the test that must see the consent page again signs in as another user. */
const bob = DEMO_USERS[1]!;

beforeAll(async () => {
  server = await startLocalServer({ port: 0, quiet: true, dynamoEndpoint: inject('dynamoDbEndpoint') });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh browser profile that records every Content-Security-Policy violation the pages cause. */
async function newPage(
  viewport = { width: 1280, height: 800 },
): Promise<{ page: Page; context: BrowserContext; cspViolations: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  return { page, context, cspViolations };
}

/** From the home page's "try it" button to the login page. */
async function openLogin(page: Page) {
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Try the sign-in flow' }).first().click();
  await page.getByRole('heading', { name: 'Sign in to continue' }).waitFor();
}

async function logIn(page: Page) {
  await openLogin(page);
  await page.getByLabel('Username').fill(alice.username);
  await page.getByLabel('Password').fill(alice.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('hosted pages in Chromium', () => {
  it('signs in, consents and shows the decoded tokens, with no CSP violation', async () => {
    const { page, context, cspViolations } = await newPage();
    await logIn(page);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.getByRole('list', { name: 'Requested permissions' }).innerText()).toContain('email');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/demo\/callback/);
    const text = await page.locator('body').innerText();
    expect(text).toContain(String(alice.claims.email));
    expect(text).toContain('at+jwt');
    expect(cspViolations).toEqual([]);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'authz_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/demo/main/' });
    await context.close();
  });

  it('the username field has focus first and the form works from the keyboard alone', async () => {
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

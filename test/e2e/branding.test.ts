// The branded login page in Chromium, in German (the browser's language) and French (ui_locales): the logo loads
// under the CSP, the buttons carry the brand colour with AA-contrast text. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { contrastRatio, parseColor } from '../../lambdas/core/pages/branding.js';
import type { LocalConfig } from '../../lambdas/local/config.js';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { authorizeUrl, validRequest } from '../support/flow.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const PRIMARY = '#8a1538';

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40">
<rect width="40" height="40" rx="8" fill="${PRIMARY}"/><text x="50" y="28" font-family="sans-serif" font-size="22"
font-weight="700" fill="#555">Acme</text></svg>`;

let logoServer: Server;
let server: LocalServer;
let browser: Browser;

beforeAll(async () => {
  // The logo comes from another origin than the pages, as a CDN would serve it.
  logoServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO));
  await new Promise<void>((resolve) => logoServer.listen(0, 'localhost', resolve));
  const logoUrl = `http://localhost:${(logoServer.address() as AddressInfo).port}/logo.svg`;
  const config: LocalConfig = {
    workspaces: [
      {
        tenantId: 'acme',
        workspaceId: 'branded',
        branding: {
          displayName: 'Acme Identity',
          logoUrl,
          primaryColor: PRIMARY,
          supportUrl: 'https://help.acme.test/',
        },
        clients: [
          {
            clientId: 'web',
            clientName: 'Acme Orders',
            tokenEndpointAuthMethod: 'none',
            redirectUris: ['http://localhost:9/callback'],
            grantTypes: ['authorization_code'],
            scopes: ['openid', 'profile'],
          },
        ],
        users: [],
      },
    ],
  };
  server = await startLocalServer({ port: 0, quiet: true, config, dynamoEndpoint: inject('dynamoDbEndpoint') });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => logoServer?.close(resolve));
});

describe('the branded login page in Chromium', () => {
  it.each([
    ['de', 'de-DE', undefined, 'Melden Sie sich an, um fortzufahren', 'Anmelden'],
    ['fr', 'en-US', 'fr', 'Connectez-vous pour continuer', 'Se connecter'],
  ] as const)('in %s: logo, colours and text, no CSP violation', async (lang, locale, uiLocales, heading, button) => {
    const context = await browser.newContext({ locale, viewport: { width: 800, height: 760 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
    });
    const { params } = validRequest('web', 'http://localhost:9/callback', 'openid profile');
    await page.goto(`${server.issuers[0]}/${authorizeUrl({ ...params, ui_locales: uiLocales })}`);
    await page.getByRole('heading', { name: heading }).waitFor();

    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    const logo = page.locator('img.logo');
    await expect
      .poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    expect(await logo.getAttribute('alt')).toBe('Acme Identity');
    const submit = page.getByRole('button', { name: button });
    const colours = await submit.evaluate((el) => {
      const style = getComputedStyle(el);
      return [style.backgroundColor, style.color];
    });
    const rgb = (css: string) => css.match(/\d+/g)!.slice(0, 3).map(Number) as [number, number, number];
    expect(rgb(colours[0]!)).toEqual(parseColor(PRIMARY));
    expect(contrastRatio(rgb(colours[0]!), rgb(colours[1]!))).toBeGreaterThanOrEqual(4.5);
    expect(await page.locator('footer a').getAttribute('href')).toBe('https://help.acme.test/');

    await page.screenshot({ path: join(SCREENSHOTS, `branded-login-${lang}.png`), fullPage: true });
    expect(violations).toEqual([]);
    await context.close();
  });
});

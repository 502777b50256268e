// Chromium for the browser tests: Debian's build driven by playwright-core, and what the tests watch a page for.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium; Playwright's own browser download is not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/** Collects the Content-Security-Policy violations Chromium reports on the page's console, as they happen. */
export function recordCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
  });
  return violations;
}

/** What injected script did in a context: calls of `window.__xss(tag)` and dialogs (`alert`, `confirm`, `prompt`). */
export interface ScriptTrap {
  readonly calls: string[];
  readonly dialogs: string[];
}

/**
 * Makes every page of the context report script it runs: `window.__xss(tag)` (what the test payloads call) is
 * recorded, and so is every dialog, which is dismissed so the page goes on.
 */
export async function trapScript(context: BrowserContext): Promise<ScriptTrap> {
  const trap: ScriptTrap = { calls: [], dialogs: [] };
  await context.exposeBinding('__xss', (_source, tag: unknown) => void trap.calls.push(String(tag)));
  context.on('dialog', (dialog) => {
    trap.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return trap;
}

/** `test-artifacts/screenshots/` of the repository: kept by CI after the run, ignored by git. */
export const SCREENSHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../test-artifacts/screenshots');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Saves a full-page screenshot as `<name>.png` and checks that the file is a PNG with an image in it. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const png = await readFile(file);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE), `${file} is a PNG`).toBe(true);
  // The IHDR chunk follows the signature: width and height, big-endian.
  expect(png.readUInt32BE(16), `${file} width`).toBeGreaterThan(0);
  expect(png.readUInt32BE(20), `${file} height`).toBeGreaterThan(0);
  expect(png.length, `${file} size`).toBeGreaterThan(1000);
  return file;
}

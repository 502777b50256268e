// Branding on the hosted pages: button text with AA contrast for every colour, the logo's origin (and only it) in the
// CSP, the support link and the way back from error pages; the rules of the config, and the local config file.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  brandingProblems,
  buttonText,
  contrastRatio,
  MIN_CONTRAST,
  parseColor,
} from '../../lambdas/core/pages/branding.js';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { parseConfig } from '../../lambdas/local/config.js';
import { Agent } from '../support/agent.js';
import { authorizeUrl, follow, validRequest } from '../support/flow.js';
import { newTestWorkspace, publicClient, type TestWorkspace } from '../support/workspace.js';

describe('button text', () => {
  it('is white or black, whichever contrasts more, and always reaches WCAG AA', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (n) => {
        const colour = `#${n.toString(16).padStart(6, '0')}`;
        const text = buttonText(colour)!;
        const rgb = parseColor(colour)!;
        expect(text.ratio).toBeGreaterThanOrEqual(MIN_CONTRAST);
        const other = text.color === '#ffffff' ? [0, 0, 0] : [255, 255, 255];
        expect(text.ratio).toBeGreaterThanOrEqual(contrastRatio(rgb, other as [number, number, number]));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['#ffffff', '#000000', 21],
    ['#000', '#ffffff', 21],
    ['#2f5bea', '#ffffff', 5.52],
    ['#ffcc00', '#000000', 13.89],
    ['#767676', '#000000', 4.62],
  ])('%s gets %s text at %f:1', (colour, text, ratio) => {
    expect(buttonText(colour)).toEqual({ color: text, ratio: expect.closeTo(ratio, 1) });
  });

  it('refuses anything but #rgb and #rrggbb', () => {
    for (const colour of ['red', '#ggg', '#1234', 'rgb(1,2,3)', '#12345678', ' #fff'])
      expect(buttonText(colour), colour).toBeUndefined();
  });
});

describe('brandingProblems', () => {
  it('takes http on localhost only where allowed (local mode)', () => {
    const branding = { logoUrl: 'http://localhost:8080/logo.png', supportUrl: 'http://127.0.0.1/help' };
    expect(brandingProblems(branding, 'branding', { allowLocalHttp: true })).toEqual([]);
    expect(brandingProblems(branding, 'branding').map((p) => p.field)).toEqual([
      'branding.logoUrl',
      'branding.supportUrl',
    ]);
    expect(
      brandingProblems({ logoUrl: 'http://cdn.example.com/logo.png' }, 'branding', { allowLocalHttp: true }),
    ).toEqual([{ field: 'branding.logoUrl', problem: 'must be an https URL (or http on localhost)' }]);
  });

  it('refuses scripts and credentials in URLs, and non-string values', () => {
    expect(
      brandingProblems(
        { logoUrl: 'javascript:alert(1)', supportUrl: 'https://user:pw@help.example.com', displayName: 3 },
        'b',
      ),
    ).toEqual([
      { field: 'b.logoUrl', problem: 'must be an https URL' },
      { field: 'b.supportUrl', problem: 'must not carry credentials' },
      { field: 'b.displayName', problem: 'must be a string' },
    ]);
  });
});

describe('the local config file', () => {
  const workspace = (extra: Record<string, unknown>) => ({
    workspaces: [{ tenantId: 'acme', workspaceId: 'main', ...extra }],
  });

  it('takes branding and scope descriptions', () => {
    const branding = { displayName: 'Acme', logoUrl: 'http://localhost:3000/logo.svg', primaryColor: '#8a1538' };
    const scopeDescriptions = { 'orders:read': { en: 'Read your orders', fr: 'Lire vos commandes' } };
    expect(parseConfig(workspace({ branding, scopeDescriptions })).workspaces[0]).toMatchObject({
      branding,
      scopeDescriptions,
    });
  });

  it('names every bad field', () => {
    expect(() =>
      parseConfig(workspace({ branding: { primaryColor: 'blue' }, scopeDescriptions: { 'orders:read': { xx: 'x' } } })),
    ).toThrow(
      /workspaces\[0\]\.branding\.primaryColor: must be a colour in #rgb or #rrggbb notation, got "blue"[\s\S]*workspaces\[0\]\.scopeDescriptions\.orders:read\.xx: must be one of en, de, fr/,
    );
  });
});

const BRANDING = {
  displayName: 'Acme Identity',
  logoUrl: 'https://cdn.acme.example/brand/logo.svg?v=2',
  primaryColor: '#ffcc00',
  supportUrl: 'https://help.acme.example/sign-in?from=login',
};

let t: TestWorkspace;
let branded: Workspace;
beforeAll(async () => {
  t = await newTestWorkspace();
  branded = { ...t.ws, branding: BRANDING };
  await t.stores.directory.putClient({ ...publicClient, clientId: 'home', clientUri: 'https://spa.example.com/' });
});

const loginPage = async (ws: Workspace) => {
  const agent = new Agent(ws);
  return follow(agent, await agent.get(authorizeUrl(validRequest().params)));
};

/** The style element's hash, which the CSP must name for the browser to apply it. */
const styleHashOf = (body: string) =>
  createHash('sha256')
    .update(/<style>([\s\S]*?)<\/style>/.exec(body)![1]!)
    .digest('base64');

describe('a branded page', () => {
  it("allows images from the logo's origin and nowhere else new; its stylesheet's hash is in the CSP", async () => {
    const page = await loginPage(branded);
    const csp = page.headers['content-security-policy']!;
    expect(csp).toContain("img-src 'self' data: https://cdn.acme.example;");
    expect(csp.match(/https?:\/\/[^\s;']+/g)).toEqual(['https://cdn.acme.example']);
    expect(csp).toContain(`style-src 'sha256-${styleHashOf(page.body)}'`);
    expect(page.body).toContain('--accent:#ffcc00;--accent-text:#000000');
    expect(page.body).toContain(
      '<img class="logo" src="https://cdn.acme.example/brand/logo.svg?v=2" alt="Acme Identity" />',
    );
    expect(page.body).toContain('<a href="https://help.acme.example/sign-in?from=login">Get help</a>');
    expect(page.body).toContain('name="password"');
  });

  it('is the plain page without branding: no foreign origin, the default colours', async () => {
    const page = await loginPage(t.ws);
    const csp = page.headers['content-security-policy']!;
    expect(csp).toContain("img-src 'self' data:;");
    expect(csp).toContain(`style-src 'sha256-${styleHashOf(page.body)}'`);
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toContain('<footer>');
    expect(page.body).toContain('<div class="brand">Sign in</div>');
  });

  it('names the workspace by its display name on the sign-out pages', async () => {
    const res = await new Agent(branded).get('oauth2/logout');
    expect(res.body).toContain('You have signed out of Acme Identity.');
  });
});

describe('the way back from an error page', () => {
  it("links to the client's home page when the client is known", async () => {
    const agent = new Agent(branded);
    const { params } = validRequest('home', 'https://elsewhere.example.com/cb');
    const page = await agent.get(authorizeUrl(params));
    expect(page.status).toBe(400);
    expect(page.body).toContain(
      '<div class="actions"><a class="button" href="https://spa.example.com/">Back to <span translate="no">Single-page &lt;app&gt; &amp; &quot;friends&quot;</span></a></div>',
    );
    expect(page.body).toContain('<a href="https://help.acme.example/sign-in?from=login">Get help</a>');
    // The protocol's own words stay, under the details, and untranslated.
    expect(page.body).toMatch(
      /<summary>Technical details<\/summary>\s*<p translate="no" lang="en"><code>invalid_request<\/code>: /,
    );
  });

  it('offers the support link when the client is unknown', async () => {
    const page = await new Agent(branded).get(authorizeUrl({ ...validRequest().params, client_id: 'nobody' }));
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('class="button"');
    expect(page.body).toContain('<a href="https://help.acme.example/sign-in?from=login">Get help</a>');
  });
});

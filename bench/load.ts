// Load: sustained concurrent full flows over HTTP against the local server (the handler modules on DynamoDB Local).
// Reports throughput, latency percentiles per endpoint and errors; exits non-zero on any 5xx, any unexpected answer,
// or any code not redeemed exactly once into exactly one token set.
//
//   npm run load                                   60 s at concurrency 16
//   LOAD_SECONDS=20 LOAD_CONCURRENCY=4 npm run load
//   LOAD_LOGIN_EVERY=1 npm run load                every flow signs in with a password (default: one in 5)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalConfig } from '../lambdas/local/config.js';
import { startLocalServer } from '../lambdas/local/server.js';

process.env.AUTHZ_LOG = 'off';

const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const SECONDS = setting('LOAD_SECONDS', 60);
const CONCURRENCY = setting('LOAD_CONCURRENCY', 16);
/** A worker starts a new browser (and signs in with its password) every this many flows; the others use its session. */
const LOGIN_EVERY = setting('LOAD_LOGIN_EVERY', 5);

const PASSWORD = 'load-test-password-1';
const REDIRECT_URI = 'https://app.example.com/cb';
const config: LocalConfig = {
  workspaces: [
    {
      tenantId: 'load',
      workspaceId: 'main',
      clients: [
        {
          clientId: 'load-spa',
          clientName: 'Load',
          tokenEndpointAuthMethod: 'none',
          redirectUris: [REDIRECT_URI],
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['openid', 'profile', 'email', 'offline_access'],
          firstParty: true,
        },
      ],
      users: Array.from({ length: CONCURRENCY }, (_, i) => ({
        username: `load${i}`,
        password: PASSWORD,
        claims: { name: `Load ${i}`, email: `load${i}@example.com` },
      })),
    },
  ],
};

const latencies = new Map<string, number[]>();
const statuses = new Map<string, Map<number, number>>();
const problems: string[] = [];
let serverErrors = 0;
/** Every code seen, with its verifier and the number of token sets its redemptions gave. */
const codes = new Map<string, { verifier: string; redeemed: number }>();
const accessTokens = new Set<string>();
let doubledTokens = 0;
let flows = 0;

const problem = (text: string) => {
  if (problems.length < 20) problems.push(text);
};

/** A browser-like client: cookies per browser, redirects not followed. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async send(label: string, method: string, url: string, body?: Record<string, string>, headers = {}) {
    const target = new URL(url, this.base);
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) h['content-type'] = 'application/x-www-form-urlencoded';
    const started = performance.now();
    const res = await fetch(target, {
      method,
      headers: h,
      redirect: 'manual',
      ...(body && { body: new URLSearchParams(body).toString() }),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    (latencies.get(label) ?? latencies.set(label, []).get(label)!).push(ms);
    const byStatus = statuses.get(label) ?? statuses.set(label, new Map()).get(label)!;
    byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
    if (res.status >= 500) {
      serverErrors++;
      problem(`${label}: ${res.status} ${text.slice(0, 120)}`);
    }
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      if (/Max-Age=0/i.test(c)) this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get('location');
    return { status: res.status, text, location: location ? new URL(location, target) : undefined };
  }
}

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

/** authorize → (login) → code → token → refresh → userinfo → revoke; false if any step answered unexpectedly. */
async function flow(browser: Browser, issuer: string, username: string): Promise<boolean> {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: 'load-spa',
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile offline_access',
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let res = await browser.send('GET /oauth2/authorize', 'GET', `${issuer}/oauth2/authorize?${query}`);
  if (res.location?.pathname.endsWith('/consent')) {
    const page = await browser.send('GET /consent', 'GET', res.location.toString());
    res = await browser.send('POST /consent (login)', 'POST', `${issuer}/consent`, {
      txn: field(page.text, 'txn'),
      csrf: field(page.text, 'csrf'),
      username,
      password: PASSWORD,
    });
  }
  const code = res.location?.origin === new URL(REDIRECT_URI).origin ? res.location.searchParams.get('code') : null;
  if (!code) return (problem(`no code: ${res.status} ${res.location ?? res.text.slice(0, 120)}`), false);
  if (codes.has(code)) problem('a code was issued twice');
  codes.set(code, { verifier, redeemed: 0 });

  const token = await browser.send('POST /oauth2/token (code)', 'POST', `${issuer}/oauth2/token`, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
    client_id: 'load-spa',
  });
  if (token.status !== 200) return (problem(`code redemption: ${token.status} ${token.text.slice(0, 120)}`), false);
  const set = JSON.parse(token.text) as { access_token: string; refresh_token: string };
  codes.get(code)!.redeemed++;
  if (accessTokens.has(set.access_token)) doubledTokens++;
  accessTokens.add(set.access_token);

  const refreshed = await browser.send('POST /oauth2/token (refresh)', 'POST', `${issuer}/oauth2/token`, {
    grant_type: 'refresh_token',
    refresh_token: set.refresh_token,
    client_id: 'load-spa',
  });
  if (refreshed.status !== 200) return (problem(`refresh: ${refreshed.status} ${refreshed.text.slice(0, 120)}`), false);
  const next = JSON.parse(refreshed.text) as { access_token: string; refresh_token: string };
  const info = await browser.send('GET /userinfo', 'GET', `${issuer}/userinfo`, undefined, {
    authorization: `Bearer ${next.access_token}`,
  });
  if (info.status !== 200) return (problem(`userinfo: ${info.status} ${info.text.slice(0, 120)}`), false);
  const revoked = await browser.send('POST /oauth2/revoke', 'POST', `${issuer}/oauth2/revoke`, {
    token: next.refresh_token,
    client_id: 'load-spa',
  });
  if (revoked.status !== 200) return (problem(`revoke: ${revoked.status}`), false);
  return true;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const server = await startLocalServer({ port: 0, quiet: true, config, keyDir: mkdtempSync(join(tmpdir(), 'load-')) });
const issuer = server.issuers[0]!;
let failedFlows = 0;
try {
  console.log(`load: ${CONCURRENCY} concurrent flows for ${SECONDS} s, a password sign-in every ${LOGIN_EVERY} flows`);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let browser = new Browser(server.url);
      for (let n = 0; performance.now() < deadline; n++) {
        if (n % LOGIN_EVERY === 0) browser = new Browser(server.url);
        const ok = await flow(browser, issuer, `load${worker}`).catch((err: unknown) => {
          problem(`flow threw: ${String(err)}`);
          return false;
        });
        if (ok) flows++;
        else failedFlows++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;

  // Codes redeemed once more, with their verifiers: each must be refused now, so none gives a second token set.
  const replays = [...codes].slice(0, 50);
  let replayAccepted = 0;
  const checker = new Browser(server.url);
  for (const [code, { verifier }] of replays) {
    const res = await checker.send('POST /oauth2/token (replay)', 'POST', `${issuer}/oauth2/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: 'load-spa',
      code_verifier: verifier,
    });
    if (res.status === 200) replayAccepted++;
  }

  const requests = [...latencies.values()].reduce((n, l) => n + l.length, 0);
  const lost = [...codes.values()].filter((c) => c.redeemed === 0).length;
  const doubled = [...codes.values()].filter((c) => c.redeemed > 1).length + doubledTokens + replayAccepted;
  console.log(
    `\n${flows} flows in ${elapsed.toFixed(1)} s: ${(flows / elapsed).toFixed(1)} flows/s, ` +
      `${(requests / elapsed).toFixed(1)} requests/s; ${failedFlows} failed flows`,
  );
  console.log(
    `codes: ${codes.size} issued, ${lost} not redeemed, ${doubled} redeemed more than once; 5xx: ${serverErrors}`,
  );
  console.log('\n| endpoint | requests | p50 ms | p95 ms | p99 ms | max ms | statuses |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const [label, values] of latencies) {
    const sorted = [...values].sort((a, b) => a - b);
    const byStatus = [...statuses.get(label)!].map(([s, n]) => `${s}×${n}`).join(' ');
    const cells = [50, 95, 99].map((p) => percentile(sorted, p).toFixed(1));
    console.log(`| ${label} | ${values.length} | ${cells.join(' | ')} | ${sorted.at(-1)!.toFixed(1)} | ${byStatus} |`);
  }
  for (const p of problems) console.log(`problem: ${p}`);
  process.exitCode = serverErrors === 0 && failedFlows === 0 && lost === 0 && doubled === 0 ? 0 : 1;
  console.log(process.exitCode === 0 ? '\nOK' : '\nFAILED');
} finally {
  await server.stop();
}

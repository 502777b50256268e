// Races at scale against DynamoDB Local, each batch released together: many codes each redeemed many times at once,
// refresh tokens refreshed many times at once, consent transactions allowed many times at once, and login attempts
// racing the throttle. The sizes are parameters: `npm test` runs a slice, `npm run races` the full 200 × 50.
import { expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Workspace } from '../../lambdas/core/workspace.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import { authorizeUrl, follow, obtainCode, submitDecision, submitLogin, validRequest } from '../support/flow.js';
import { introspect, refresh, signIn } from '../support/lifecycle.js';
import { newTestWorkspace } from '../support/workspace.js';

const size = (name: string, slice: number): number => {
  const value = Number(process.env[name] ?? slice);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

/** Codes, and concurrent redemptions of each (`npm run races`: 200 × 50). */
const CODES = size('RACE_CODES', 8);
const REDEMPTIONS = size('RACE_REDEMPTIONS', 20);
/** Codes whose redemptions are in flight at once: one gate per wave. */
const WAVE = size('RACE_WAVE', 20);
/** Refresh tokens, and concurrent refreshes of each. */
const REFRESH_TOKENS = size('RACE_REFRESH_TOKENS', 4);
const REFRESHES = size('RACE_REFRESHES', 20);
/** Consent transactions, and concurrent Allow submissions of each. */
const CONSENTS = size('RACE_CONSENTS', 5);
const ALLOWS = size('RACE_ALLOWS', 20);
/** Concurrent wrong-password logins, per throttle counter. */
const LOGINS = size('RACE_LOGINS', 30);

const TIMEOUT = Number(process.env.RACE_TIMEOUT_MS ?? 60_000);

/** Starts every task, then releases them together, as one batch. */
async function together<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const pending = Array.from({ length: count }, async (_, i) => {
    await gate;
    return task(i);
  });
  release();
  return Promise.all(pending);
}

const serverErrors = (results: readonly AgentResponse[]) => results.filter((r) => r.status >= 500);

it(
  `${CODES} codes × ${REDEMPTIONS} concurrent redemptions: exactly one token set per code, no 5xx`,
  { timeout: TIMEOUT },
  async () => {
    const t = await newTestWorkspace();
    // Codes straight from a session at the first-party client: no login or consent per code.
    const browser = new Agent(t.ws);
    await obtainCode(browser, validRequest('first', 'https://first.example.com/cb', 'openid').params);
    const codes = [];
    for (let i = 0; i < CODES; i++) {
      const { params, verifier } = validRequest('first', 'https://first.example.com/cb', 'openid');
      const res = await browser.get(authorizeUrl(params));
      codes.push({ code: res.location!.searchParams.get('code')!, verifier });
    }
    const form = (c: { code: string; verifier: string }) => ({
      grant_type: 'authorization_code',
      code: c.code,
      code_verifier: c.verifier,
      redirect_uri: 'https://first.example.com/cb',
      client_id: 'first',
    });

    const accessTokens = new Set<string>();
    for (let start = 0; start < CODES; start += WAVE) {
      const wave = codes.slice(start, start + WAVE);
      const results = await together(wave.length * REDEMPTIONS, (i) =>
        new Agent(t.ws).post('oauth2/token', { form: form(wave[i % wave.length]!) }),
      );
      expect(serverErrors(results)).toEqual([]);
      wave.forEach((_, c) => {
        const ofCode = results.filter((_, i) => i % wave.length === c);
        const won = ofCode.filter((r) => r.status === 200);
        expect(won).toHaveLength(1);
        accessTokens.add(won[0]!.json().access_token);
        for (const r of ofCode.filter((x) => x.status !== 200)) {
          expect(r.status).toBe(400);
          expect(r.json()).toMatchObject({ error: 'invalid_grant' });
        }
      });
    }
    expect(accessTokens.size).toBe(CODES);
    const issued = t.audit.filter((e) => e.type === 'token.issued').map((e) => e.fields.grantId);
    expect(issued).toHaveLength(CODES);
    expect(new Set(issued).size).toBe(CODES);
  },
);

it(
  `${REFRESH_TOKENS} refresh tokens × ${REFRESHES} concurrent refreshes: one new token set each, the rest invalid_grant; a replay after the race revokes the family`,
  { timeout: TIMEOUT },
  async () => {
    const t = await newTestWorkspace();
    const browser = new Agent(t.ws);
    for (let n = 0; n < REFRESH_TOKENS; n++) {
      const tokens = await signIn(t, { agent: browser });
      const results = await together(REFRESHES, () => refresh(t, tokens.refresh_token));
      expect(serverErrors(results)).toEqual([]);
      const won = results.filter((r) => r.status === 200);
      expect(won).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 200))
        expect(r.json()).toMatchObject({ error: 'invalid_grant' });

      // The rotated token presented once more: invalid_grant, and the whole family is revoked with it.
      const replay = await refresh(t, tokens.refresh_token);
      expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
      const successor = won[0]!.json();
      expect((await refresh(t, successor.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
      expect(await introspect(t, successor.access_token)).toEqual({ active: false });
      expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    }
    const rotations = t.audit.filter((e) => e.type === 'token.issued' && e.fields.grantType === 'refresh_token');
    expect(rotations).toHaveLength(REFRESH_TOKENS);
  },
);

it(
  `${CONSENTS} consent transactions × ${ALLOWS} concurrent Allow submissions: exactly one code each, no 5xx`,
  { timeout: TIMEOUT },
  async () => {
    const t = await newTestWorkspace();
    const browser = new Agent(t.ws);
    await obtainCode(browser, validRequest().params);
    for (let n = 0; n < CONSENTS; n++) {
      const { params } = validRequest();
      const page = await follow(browser, await browser.get(authorizeUrl({ ...params, prompt: 'consent' })));
      expect(page.body).toContain('name="decision"');
      const results = await together(ALLOWS, () => submitDecision(browser, page, 'allow'));
      expect(serverErrors(results)).toEqual([]);
      const codes = results.map((r) => r.location?.searchParams.get('code')).filter((c) => c != null);
      expect(codes).toHaveLength(1);
      for (const r of results.filter((x) => !x.location?.searchParams.get('code'))) {
        expect(r.status).toBe(400);
        expect(r.body).toContain('This sign-in request has expired');
      }
    }
    // One code per transaction: the first login's, and one per race.
    expect(t.audit.filter((e) => e.type === 'consent.granted')).toHaveLength(CONSENTS + 1);
  },
);

/** A workspace whose password checks are counted: a login reaches the username lookup only past the throttle. */
async function countedWorkspace() {
  const t = await newTestWorkspace();
  const checked = { count: 0 };
  const users: Workspace['users'] = {
    findBySub: (sub) => t.ws.users.findBySub(sub),
    findByUsername: (username) => {
      checked.count++;
      return t.ws.users.findByUsername(username);
    },
  };
  return { t, ws: { ...t.ws, users }, checked };
}

async function loginPage(ws: Workspace) {
  const agent = new Agent(ws);
  const page = await follow(agent, await agent.get(authorizeUrl(validRequest().params)));
  expect(page.body).toContain('name="password"');
  return { agent, page };
}

it(
  `${LOGINS} concurrent wrong logins of one username from as many addresses: no more password checks than its limit`,
  { timeout: TIMEOUT },
  async () => {
    const { ws, checked } = await countedWorkspace();
    const { agent, page } = await loginPage(ws);
    const limit = ws.settings.maxFailuresPerUsername;

    const results = await together(LOGINS, (i) =>
      submitLogin(agent, page, 'alice', `wrong-${i}`, `198.51.${i >> 8}.${i & 255}`),
    );

    expect(serverErrors(results)).toEqual([]);
    expect(checked.count).toBe(Math.min(LOGINS, limit));
    expect(results.filter((r) => r.status === 200)).toHaveLength(Math.min(LOGINS, limit));
    expect(results.filter((r) => r.status === 429)).toHaveLength(Math.max(0, LOGINS - limit));
  },
);

it(
  `${LOGINS} concurrent wrong logins from one address, each naming another user: no more password checks than its limit`,
  { timeout: TIMEOUT },
  async () => {
    const { ws, checked } = await countedWorkspace();
    const { agent, page } = await loginPage(ws);
    const limit = ws.settings.maxFailuresPerAddress;
    const nobody = randomBytes(4).toString('hex');

    const results = await together(LOGINS, (i) => submitLogin(agent, page, `${nobody}-${i}`, 'wrong', '192.0.2.99'));

    expect(serverErrors(results)).toEqual([]);
    expect(checked.count).toBe(Math.min(LOGINS, limit));
    expect(results.filter((r) => r.status === 429)).toHaveLength(Math.max(0, LOGINS - limit));
  },
);

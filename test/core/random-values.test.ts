// Every random value that stands for something (codes, refresh tokens, sessions, transactions, form tokens,
// browser bindings, request_uris, client secrets) is 256 bits from the CSPRNG, base64url, and never repeats.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomValues } from '../../lambdas/core/crypto.js';
import { Agent } from '../support/agent.js';
import { authorizeUrl, obtainCode, validRequest } from '../support/flow.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

const SAMPLES = 10_000;
const BASE64URL_256 = /^[A-Za-z0-9_-]{43}$/;

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

describe.each(Object.entries(randomValues))('%s', (_name, generate) => {
  it(`is 256 bits of base64url, with no repeat in ${SAMPLES} samples and balanced bits`, () => {
    const values = Array.from({ length: SAMPLES }, generate);
    expect(values.filter((v) => !BASE64URL_256.test(v))).toEqual([]);
    expect(new Set(values).size).toBe(SAMPLES);
    // 2.56 million bits: a fair source lands within ±0.1 % of half ones (that is 30 standard deviations) every time.
    let ones = 0;
    for (const v of values) for (const b of Buffer.from(v, 'base64url')) for (let x = b; x; x &= x - 1) ones++;
    expect(Math.abs(ones / (SAMPLES * 256) - 0.5)).toBeLessThan(0.001);
  });
});

describe('the values the endpoints hand out', () => {
  it('a transaction id, form token and browser binding are each 256 bits', async () => {
    const agent = new Agent(t.ws);
    const res = await agent.get(authorizeUrl(validRequest().params));
    expect(res.location?.searchParams.get('txn')).toMatch(BASE64URL_256);
    expect(agent.cookies.get('authz_browser')).toMatch(BASE64URL_256);
    const page = await agent.get(res.location!.toString());
    expect(/name="csrf" value="([^"]*)"/.exec(page.body)?.[1]).toMatch(BASE64URL_256);
  });

  it('a code and a session id are each 256 bits', async () => {
    const agent = new Agent(t.ws);
    const redirect = await obtainCode(agent, validRequest().params);
    expect(redirect.searchParams.get('code')).toMatch(BASE64URL_256);
    // The session id is its 256-bit secret followed by the user's sub (base64url), which names but does not unlock it.
    expect(agent.cookies.get('authz_session')?.slice(0, 43)).toMatch(BASE64URL_256);
  });
});

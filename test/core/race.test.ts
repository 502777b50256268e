// Real races against DynamoDB Local: many redemptions of one code, or refreshes of one refresh token, released together.
import { expect, it } from 'vitest';
import { Agent } from '../support/agent.js';
import { obtainCode, tokenForm, validRequest } from '../support/flow.js';
import { introspect, refresh, signIn } from '../support/lifecycle.js';
import { newTestWorkspace } from '../support/workspace.js';

it('50 concurrent redemptions of one code: exactly one success, 49 invalid_grant, no 5xx', async () => {
  const t = await newTestWorkspace();
  const { params, verifier } = validRequest();
  const code = (await obtainCode(new Agent(t.ws), params)).searchParams.get('code')!;
  const agents = Array.from({ length: 50 }, () => new Agent(t.ws));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const pending = agents.map(async (a) => {
    await gate;
    return a.post('oauth2/token', { form: tokenForm(code, verifier) });
  });
  release();
  const results = await Promise.all(pending);
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  expect(statuses.filter((s) => s >= 500)).toHaveLength(0);
  const failures = results.filter((r) => r.status !== 200);
  expect(failures).toHaveLength(49);
  for (const f of failures) expect(f.json()).toMatchObject({ error: 'invalid_grant' });
});

it('20 concurrent refreshes of one refresh token: at most one success, the rest invalid_grant, no 5xx; the family ends revoked', async () => {
  const t = await newTestWorkspace();
  const tokens = await signIn(t);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const pending = Array.from({ length: 20 }, async () => {
    await gate;
    return refresh(t, tokens.refresh_token);
  });
  release();
  const results = await Promise.all(pending);

  expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
  const winners = results.filter((r) => r.status === 200);
  expect(winners.length).toBeLessThanOrEqual(1);
  for (const r of results.filter((x) => x.status !== 200)) expect(r.json()).toMatchObject({ error: 'invalid_grant' });
  // With reuse detection the losers are replays once one request has rotated the token: the grant is revoked, so
  // even the winner's successor is dead. Only if every request lost to the others would nothing be consumed.
  expect(t.audit.some((e) => e.type === 'refresh.replayed')).toBe(winners.length === 1);
  for (const winner of winners) {
    expect((await refresh(t, winner.json().refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(t, winner.json().access_token)).toEqual({ active: false });
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
  }
  if (winners.length === 0) expect((await refresh(t, tokens.refresh_token)).status).toBe(200);
});

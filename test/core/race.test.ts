// Real races against DynamoDB Local: many redemptions of one code, refreshes of one refresh token, or uses of one
// pushed request, released together.
import { expect, it } from 'vitest';
import { authorize } from '../../lambdas/core/endpoints/authorize/authorize.js';
import { Agent } from '../support/agent.js';
import { authorizeUrl, obtainCode, tokenForm, validRequest } from '../support/flow.js';
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

it('20 concurrent uses of one pushed request: at most one starts a sign-in, 19 invalid_request_uri pages, no 5xx', async () => {
  const t = await newTestWorkspace();
  const form = Object.fromEntries(Object.entries(validRequest().params)) as Record<string, string>;
  const requestUri = (await new Agent(t.ws).post('oauth2/par', { form })).json().request_uri;
  const agents = Array.from({ length: 20 }, () => new Agent(t.ws));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const pending = agents.map(async (a) => {
    await gate;
    return a.core(authorize, 'GET', authorizeUrl({ client_id: 'spa', request_uri: requestUri }));
  });
  release();
  const results = await Promise.all(pending);
  expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
  const started = results.filter((r) => r.status === 302);
  expect(started).toHaveLength(1);
  expect(started[0]!.location?.pathname).toBe('/acme/main/consent');
  const refused = results.filter((r) => r.status !== 302);
  expect(refused).toHaveLength(19);
  for (const r of refused) expect(r).toMatchObject({ status: 400, error: { error: 'invalid_request_uri' } });
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

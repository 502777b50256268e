// What the handlers log over a whole flow: one line per request and the audit events, never a secret.
import { expect, it, vi } from 'vitest';
import { captureLogs, logRecords } from '../support/log-capture.js';
import { Agent, hiddenField } from '../support/agent.js';
import { authorizeUrl, follow, tokenForm, validRequest } from '../support/flow.js';
import { introspect, refresh, revoke, signIn } from '../support/lifecycle.js';
import { newTestWorkspace, TEST_PASSWORD } from '../support/workspace.js';
import { auditLog } from '../../lambdas/adapters/log.js';

const lines = captureLogs();

it('a full flow logs one JSON line per request and audit events, and no code, token, verifier, password, cookie or form token', async () => {
  const t = await newTestWorkspace();
  const ws = { ...t.ws, audit: auditLog(t.ws.tenantId, t.ws.workspaceId) };
  const agent = new Agent(ws);
  const { params, verifier } = validRequest();
  const login = await follow(agent, await agent.get(authorizeUrl(params)));
  const csrf = hiddenField(login.body, 'csrf');
  const wrong = await agent.post('consent', {
    form: { txn: hiddenField(login.body, 'txn'), csrf, username: 'alice', password: 'not-the-password' },
  });
  const afterLogin = await agent.post('consent', {
    form: { txn: hiddenField(wrong.body, 'txn'), csrf, username: 'alice', password: TEST_PASSWORD },
  });
  const consent = await follow(agent, afterLogin);
  const back = await agent.post('consent', {
    form: { txn: hiddenField(consent.body, 'txn'), csrf, decision: 'allow' },
  });
  const code = back.location!.searchParams.get('code')!;
  const tokens = (await agent.post('oauth2/token', { form: tokenForm(code, verifier) })).json();
  await agent.get('userinfo', { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  await agent.post('oauth2/token', { form: tokenForm(code, verifier) });

  const records = logRecords(lines);
  expect(records.filter((r) => r.message === 'request').map((r) => r.Endpoint)).toEqual([
    'GET /oauth2/authorize',
    'GET /consent',
    'POST /consent',
    'POST /consent',
    'GET /consent',
    'POST /consent',
    'POST /oauth2/token',
    'GET /userinfo',
    'POST /oauth2/token',
  ]);
  expect(records.filter((r) => r.message === 'audit').map((r) => r.event)).toEqual([
    'login.failed',
    'login.succeeded',
    'consent.granted',
    'token.issued',
    'code.replayed',
  ]);
  const text = lines.join('\n');
  const secrets = [
    code,
    tokens.access_token,
    tokens.id_token,
    verifier,
    TEST_PASSWORD,
    'not-the-password',
    csrf,
    ...agent.cookies.values(),
  ];
  for (const secret of secrets) expect(text).not.toContain(secret);
});

it('refresh, replay, revocation and introspection log request lines and audit events, never a token', async () => {
  vi.stubEnv('AUTHZ_LOG_LEVEL', 'debug');
  const base = await newTestWorkspace();
  const t = { ...base, ws: { ...base.ws, audit: auditLog(base.ws.tenantId, base.ws.workspaceId) } };
  const first = await signIn(t);
  const second = (await refresh(t, first.refresh_token)).json();
  await introspect(t, second.access_token);
  await refresh(t, first.refresh_token);
  await revoke(t, second.access_token);
  await revoke(t, second.refresh_token);

  const records = logRecords(lines);
  expect(records.filter((r) => r.message === 'audit').map((r) => r.event)).toEqual(
    expect.arrayContaining(['token.issued', 'refresh.replayed', 'token.revoked']),
  );
  const text = lines.join('\n');
  for (const token of [first, second].flatMap((s) => [s.access_token, s.refresh_token, s.id_token]))
    expect(text).not.toContain(token);
});

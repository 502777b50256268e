// Real races against DynamoDB Local: many redemptions of one code released together.
import { expect, it } from 'vitest';
import { Agent } from '../support/agent.js';
import { obtainCode, tokenForm, validRequest } from '../support/flow.js';
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

// Header and media-type hardening from the security review: exact form media type, nosniff on JSON, form-action in the page CSP.
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.js';
import { authorizeUrl, validRequest } from '../support/flow.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

const tokenBody = new URLSearchParams({ grant_type: 'authorization_code', client_id: 'spa', code: 'x' }).toString();

describe('the form media type', () => {
  it('must be exactly application/x-www-form-urlencoded: a longer type that starts with it is refused', async () => {
    // WHEN
    const res = await new Agent(t.ws).post('oauth2/token', {
      body: tokenBody,
      headers: { 'Content-Type': 'application/x-www-form-urlencodedXYZ' },
    });

    // THEN
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('may carry parameters and any letter case', async () => {
    // WHEN
    const res = await new Agent(t.ws).post('oauth2/token', {
      body: tokenBody,
      headers: { 'Content-Type': 'Application/X-WWW-Form-URLEncoded ; charset=UTF-8' },
    });

    // THEN: parsed as a form, so the code itself is what fails
    expect(res.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('JSON responses', () => {
  it('forbid content sniffing, successes and errors alike', async () => {
    // WHEN
    const agent = new Agent(t.ws);
    const ok = await agent.get('.well-known/openid-configuration');
    const error = await agent.post('oauth2/token', { form: { grant_type: 'nope' } });

    // THEN
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect(error.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('the hosted pages', () => {
  it("allow forms to post only to this origin (form-action 'self')", async () => {
    // GIVEN
    const agent = new Agent(t.ws);
    const start = await agent.get(authorizeUrl(validRequest().params));

    // WHEN
    const page = await agent.get(start.location!.href);

    // THEN
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
  });

  it('tell browsers to use https only (HSTS), without reaching other hosts of the domain', async () => {
    // GIVEN
    const agent = new Agent(t.ws);
    const start = await agent.get(authorizeUrl(validRequest().params));

    // WHEN
    const page = await agent.get(start.location!.href);

    // THEN
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});

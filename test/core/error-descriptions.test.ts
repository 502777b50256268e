// error_description (RFC 6749 §4.1.2.1, §5.2): only %x20-21 / %x23-5B / %x5D-7E, and never a value the request sent.
import { beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../../lambdas/core/errors.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import { authorizeUrl, validRequest } from '../support/flow.js';
import { basic } from '../support/lifecycle.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

/** The characters RFC 6749 allows in error_description. */
const ALLOWED = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A value an attacker would like a client to show: markup, a phone number, a right-to-left override, a quote. */
const MARKER = 'ZZECHO';
const NASTY = `<h1>${MARKER}_call_+1-555-0100</h1>\u202e"\\é\u0000`;

/** Every error description a response carries: redirect parameter, JSON member or Bearer challenge. */
function descriptionsOf(res: AgentResponse): string[] {
  const found: string[] = [];
  const fromLocation = res.location?.searchParams.get('error_description');
  if (fromLocation != null) found.push(fromLocation);
  if (res.headers['content-type']?.startsWith('application/json') && res.body) {
    const body = res.json();
    if (typeof body.error_description === 'string') found.push(body.error_description);
  }
  const challenge = res.headers['www-authenticate'];
  if (challenge) found.push(...[...challenge.matchAll(/error_description="([^"]*)"/g)].map((m) => m[1]!));
  return found;
}

function expectClean(res: AgentResponse): void {
  for (const d of descriptionsOf(res)) {
    expect(d).toMatch(ALLOWED);
    expect(d).not.toContain(MARKER);
  }
}

describe('every error factory', () => {
  const factories = Object.entries(errors).filter(
    ([name, value]) => typeof value === 'function' && /^[a-z]/.test(name) && !/^error|Error$|^to/.test(name),
  ) as [string, (...args: string[]) => unknown][];

  it('is enumerated', () => {
    expect(factories.map(([name]) => name)).toEqual(
      expect.arrayContaining(['invalidRequest', 'invalidScope', 'invalidToken', 'unsupportedGrantType']),
    );
  });

  it.each(factories)('%s keeps its description to the characters RFC 6749 allows', (_name, factory) => {
    const err = factory(`Refused: ${NASTY}`, 'x', 'detail');
    expect(err).toBeInstanceOf(errors.OAuthError);
    const e = err as errors.OAuthError;
    expect(e.description).toMatch(ALLOWED);
    expect(e.description).toContain('Refused:');
    const res = errors.errorResponse(e);
    expect(JSON.parse(res.body).error_description).toMatch(ALLOWED);
    for (const value of Object.values(res.headers)) expect(value).not.toMatch(/[^\x20-\x7e]/);
  });

  it('keeps the description of an error built by its class to that set too', () => {
    expect(new errors.UnverifiedRedirectError('invalid_request', NASTY).description).toMatch(ALLOWED);
  });
});

describe('no error description echoes the request', () => {
  let t: TestWorkspace;
  beforeAll(async () => {
    t = await newTestWorkspace();
  });

  it('invalid_scope at the authorization endpoint names no scope', async () => {
    const { params } = validRequest();
    const res = await new Agent(t.ws).get(authorizeUrl({ ...params, scope: `openid ${NASTY}` }));
    expect(res.location?.searchParams.get('error')).toBe('invalid_scope');
    expect(res.location?.searchParams.get('error_description')).toBeTruthy();
    expectClean(res);
  });

  it('an unknown prompt value is not repeated', async () => {
    const { params } = validRequest();
    const res = await new Agent(t.ws).get(authorizeUrl({ ...params, prompt: `login ${NASTY}` }));
    expect(res.location?.searchParams.get('error')).toBe('invalid_request');
    expectClean(res);
  });

  it('an unsupported grant type is not repeated', async () => {
    const res = await new Agent(t.ws).post('oauth2/token', { form: { grant_type: NASTY, client_id: 'spa' } });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('unsupported_grant_type');
    expectClean(res);
  });

  it('client_credentials names no refused scope', async () => {
    const res = await new Agent(t.ws).post('oauth2/token', {
      form: { grant_type: 'client_credentials', scope: NASTY },
      headers: { Authorization: basic('orders-api') },
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('invalid_scope');
    expectClean(res);
  });

  it('no endpoint repeats any parameter value in its error description', async () => {
    const agent = new Agent(t.ws);
    const names = [
      'client_id',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
      'prompt',
      'max_age',
      'resource',
      'response_mode',
      'nonce',
      'login_hint',
      'id_token_hint',
      'request',
      'request_uri',
      'grant_type',
      'code',
      'code_verifier',
      'refresh_token',
      'client_secret',
      'client_assertion',
      'client_assertion_type',
      'token',
      'token_type_hint',
      'access_token',
    ];
    let seen = 0;
    for (const name of names) {
      const { params } = validRequest();
      const valued = { ...params, [name]: NASTY };
      const form = { grant_type: 'authorization_code', client_id: 'spa', [name]: NASTY };
      const responses = [
        await agent.get(authorizeUrl(valued)),
        await agent.post('oauth2/token', { form }),
        await agent.post('oauth2/token', { form: { ...form, client_id: 'backend' } }),
        await agent.post('oauth2/par', {
          form: valued as Record<string, string>,
          headers: { Authorization: basic('backend') },
        }),
        await agent.post('oauth2/revoke', { form: { token: 'x', ...form } }),
        await agent.post('oauth2/introspect', { form: { token: 'x', [name]: NASTY } }),
        await agent.post('userinfo', { form: { [name]: NASTY } }),
        await agent.get('userinfo', { headers: { Authorization: `Bearer ${MARKER}` } }),
      ];
      for (const res of responses) {
        seen += descriptionsOf(res).length;
        expectClean(res);
      }
    }
    expect(seen).toBeGreaterThan(names.length * 4);
  });
});

// CoreResponse.error: the OAuth error a core response carries, with its internal detail, for the logs and never the client.
import { beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../../lambdas/core/endpoints/authorize/authorize.js';
import { token } from '../../lambdas/core/endpoints/token/token.js';
import { errorResponse } from '../../lambdas/core/errors.js';
import type { CoreRequest, CoreResponse } from '../../lambdas/core/http.js';
import { toProxyResult } from '../../lambdas/handlers/apigw.js';
import { validRequest } from '../support/flow.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

function request(method: string, path: string, opts: Partial<CoreRequest> = {}): CoreRequest {
  return { method, path, query: {}, headers: {}, sourceIp: '203.0.113.7', secure: true, ...opts };
}

function query(params: Record<string, string | undefined>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, [v]]])));
}

/** Neither the headers nor the body (nor what API Gateway is handed) say anything of the detail. */
function expectNotSerialized(res: CoreResponse, detail: string) {
  expect(JSON.stringify(res.headers)).not.toContain(detail);
  expect(res.body).not.toContain(detail);
  const wire = toProxyResult(res);
  expect(Object.keys(wire).sort()).toEqual(['body', 'headers', 'statusCode']);
  expect(JSON.stringify(wire)).not.toContain(detail);
}

describe('CoreResponse.error', () => {
  it('is set for a failing token request, with the code and the detail', async () => {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'not-a-code',
      code_verifier: 'v'.repeat(43),
      client_id: 'spa',
    });
    const req = request('POST', '/oauth2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const res = await token(req, t.ws).catch(errorResponse);
    expect(res.status).toBe(400);
    expect(res.error).toEqual({ error: 'invalid_grant', detail: 'unknown code' });
    expect(JSON.parse(res.body)).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code is invalid, expired or already used.',
    });
    expectNotSerialized(res, 'unknown code');
  });

  it('is set for an unknown client at the token endpoint', async () => {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: 'ghost' });
    const req = request('POST', '/oauth2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const res = await token(req, t.ws).catch(errorResponse);
    expect(res.status).toBe(401);
    expect(res.error).toEqual({ error: 'invalid_client', detail: 'unknown client' });
    expectNotSerialized(res, 'unknown client');
  });

  it('is set for an authorization error redirect', async () => {
    const { params } = validRequest();
    const res = await authorize(
      request('GET', '/oauth2/authorize', { query: query({ ...params, code_challenge_method: 'plain' }) }),
      t.ws,
    );
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location!).searchParams.get('error')).toBe('invalid_request');
    expect(res.error).toEqual({ error: 'invalid_request', detail: 'code_challenge_method not S256' });
    expectNotSerialized(res, 'not S256');
  });

  it('is set for the error page of an unknown client', async () => {
    const { params } = validRequest('nobody');
    const res = await authorize(request('GET', '/oauth2/authorize', { query: query(params) }), t.ws);
    expect(res.status).toBe(400);
    expect(res.error).toEqual({ error: 'invalid_client', detail: 'unknown client nobody' });
    expectNotSerialized(res, 'unknown client');
  });

  it('is absent from successful responses', async () => {
    const { params } = validRequest();
    const res = await authorize(request('GET', '/oauth2/authorize', { query: query(params) }), t.ws);
    expect(res.status).toBe(302);
    expect(res.error).toBeUndefined();
  });
});

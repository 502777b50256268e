// Names of Object.prototype members as form fields, query names and header names: unknown parameters are ignored, never a 5xx.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lambdas/local/server.js';
import { Agent } from '../support/agent.js';
import { validRequest } from '../support/flow.js';
import { newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

let t: TestWorkspace;
beforeAll(async () => {
  t = await newTestWorkspace();
});

describe.each(PROTOTYPE_NAMES)('the name %s, through the handlers as deployed', (name) => {
  it('as a form field of the token, consent and userinfo endpoints gets a 4xx', async () => {
    // GIVEN
    const agent = new Agent(t.ws);
    const form = {
      [name]: '1',
      grant_type: 'authorization_code',
      client_id: 'spa',
      code: 'x',
      code_verifier: 'v'.repeat(43),
    };

    // WHEN
    const token = await agent.post('oauth2/token', { form });
    const consent = await agent.post('consent', { form: { [name]: '1' } });
    const userinfo = await agent.post('userinfo', { form: { [name]: '1' } });

    // THEN
    expect(token.status).toBe(400);
    expect(token.json().error).toBe('invalid_grant');
    expect(consent.status).toBe(400);
    expect(consent.headers['content-type']).toContain('text/html');
    expect(userinfo.status).toBe(401);
  });

  it('as the grant type is an unsupported grant type', async () => {
    // WHEN
    const res = await new Agent(t.ws).post('oauth2/token', { form: { grant_type: name, client_id: 'spa' } });

    // THEN
    expect(res.status).toBe(400);
    expect(res.json().error).toBe('unsupported_grant_type');
  });

  it('as a query name of the authorization request is ignored', async () => {
    // GIVEN
    const { params } = validRequest();
    const query = new URLSearchParams({ ...(params as Record<string, string>), [name]: '1' });

    // WHEN
    const res = await new Agent(t.ws).get(`oauth2/authorize?${query}`);

    // THEN: on to the login page, as without the extra parameter
    expect(res.status).toBe(302);
    expect(res.location?.pathname).toBe('/acme/main/consent');
  });

  it('as a header name is ignored', async () => {
    // WHEN
    const res = await new Agent(t.ws).get('.well-known/openid-configuration', { headers: { [name]: '1' } });

    // THEN
    expect(res.status).toBe(200);
  });
});

describe('the local server', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer({ port: 0, quiet: true, dynamoEndpoint: inject('dynamoDbEndpoint') });
  });
  afterAll(() => server.stop());

  it.each(PROTOTYPE_NAMES)('ignores %s as a query name and as a header name', async (name) => {
    // GIVEN
    const url = `${server.issuers[0]}/.well-known/openid-configuration?${encodeURIComponent(name)}=1`;

    // WHEN
    const res = await fetch(url, { headers: { [name]: '1' } });

    // THEN
    expect(res.status).toBe(200);
  });

  it('answers a request target that is no valid URL path with a 404, not a 502', async () => {
    // WHEN
    const res = await rawGet(server.url, '//[');

    // THEN
    expect(res).toMatch(/^HTTP\/1\.1 404 /);
  });
});

/** Sends a request line that fetch would refuse to build. */
async function rawGet(base: string, target: string): Promise<string> {
  const { connect } = await import('node:net');
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.end(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
    );
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

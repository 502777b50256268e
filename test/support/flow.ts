// Steps of the authorization code flow for tests, driven through an Agent.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { Agent, hiddenField, type AgentResponse } from './agent.js';
import { TEST_PASSWORD } from './workspace.js';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeParams extends Record<string, string | undefined> {}

export function authorizeUrl(params: AuthorizeParams): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
  return `oauth2/authorize?${q}`;
}

/** Standard valid parameters for `clientId`, with a fresh PKCE pair. */
export function validRequest(
  clientId = 'spa',
  redirectUri = 'https://spa.example.com/callback',
  scope = 'openid profile email',
) {
  const { verifier, challenge } = pkce();
  const params: AuthorizeParams = {
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state: `st-${randomBytes(6).toString('hex')}`,
    nonce: `n-${randomBytes(6).toString('hex')}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  return { params, verifier };
}

/** Follows a redirect to the consent pages and returns the page. */
export async function follow(agent: Agent, res: AgentResponse): Promise<AgentResponse> {
  expect(res.location, `expected a redirect, got ${res.status}: ${res.body.slice(0, 200)}`).toBeDefined();
  return agent.get(res.location!.toString());
}

export async function submitLogin(
  agent: Agent,
  page: AgentResponse,
  username = 'alice',
  password = TEST_PASSWORD,
  sourceIp?: string,
) {
  return agent.post('consent', {
    form: { txn: hiddenField(page.body, 'txn'), csrf: hiddenField(page.body, 'csrf'), username, password },
    ...(sourceIp && { sourceIp }),
  });
}

export async function submitDecision(agent: Agent, page: AgentResponse, decision: 'allow' | 'deny') {
  return agent.post('consent', {
    form: { txn: hiddenField(page.body, 'txn'), csrf: hiddenField(page.body, 'csrf'), decision },
  });
}

/** authorize → login → consent (allow) → the redirect back to the client carrying the code. */
export async function obtainCode(agent: Agent, params: AuthorizeParams, username = 'alice'): Promise<URL> {
  let res = await agent.get(authorizeUrl(params));
  while (res.location && res.location.pathname.endsWith('/consent')) res = await follow(agent, res);
  if (res.status === 200 && res.body.includes('name="password"')) res = await submitLogin(agent, res, username);
  if (res.location && res.location.pathname.endsWith('/consent')) res = await follow(agent, res);
  if (res.status === 200 && res.body.includes('name="decision"')) res = await submitDecision(agent, res, 'allow');
  expect(
    res.location,
    `flow did not return to the client: ${res.status} ${/<h1>(.*?)<\/h1>/s.exec(res.body)?.[1] ?? res.body.slice(0, 200)}`,
  ).toBeDefined();
  return res.location!;
}

/** An `Authorization: Basic` value, id and secret form-encoded first as RFC 6749 §2.3.1 asks. */
export const basicAuth = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export function tokenForm(code: string, verifier: string, extra: Record<string, string> = {}) {
  return {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: 'https://spa.example.com/callback',
    client_id: 'spa',
    ...extra,
  };
}

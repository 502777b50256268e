// Test steps of the token lifecycle through the handlers: sign in for tokens, refresh, revoke, introspect.
import { Agent, type AgentResponse } from './agent.js';
import { obtainCode, validRequest } from './flow.js';
import { TEST_SECRET, type TestWorkspace } from './workspace.js';

export const basic = (id: string, secret = TEST_SECRET) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** How each test client authenticates: public ones name themselves, confidential ones use the Basic header. */
export function clientAuth(clientId: string): { form: Record<string, string>; headers: Record<string, string> } {
  return clientId === 'offline' || clientId === 'spa'
    ? { form: { client_id: clientId }, headers: {} }
    : { form: {}, headers: { Authorization: basic(clientId) } };
}

/** The tokens of a sign-in of alice at `clientId` (a client redirecting to its first registered URI). */
export async function signIn(
  t: TestWorkspace,
  opts: { clientId?: string; scope?: string; resource?: string; agent?: Agent } = {},
) {
  const clientId = opts.clientId ?? 'offline';
  const client = await t.ws.clients.get(clientId);
  const redirectUri = client!.redirectUris[0]!;
  const { params, verifier } = validRequest(clientId, redirectUri, opts.scope ?? 'openid profile offline_access');
  const code = (
    await obtainCode(opts.agent ?? new Agent(t.ws), { ...params, resource: opts.resource })
  ).searchParams.get('code')!;
  const auth = clientAuth(clientId);
  const res = await new Agent(t.ws).post('oauth2/token', {
    form: { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, ...auth.form },
    headers: auth.headers,
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.body}`);
  return { ...res.json(), code, verifier, redirectUri, nonce: params.nonce! };
}

export function refresh(
  t: TestWorkspace,
  refreshToken: string,
  extra: Record<string, string | string[]> = {},
  clientId = 'offline',
): Promise<AgentResponse> {
  const auth = clientAuth(clientId);
  return new Agent(t.ws).post('oauth2/token', {
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...auth.form, ...extra },
    headers: auth.headers,
  });
}

export function revoke(
  t: TestWorkspace,
  token: string,
  clientId = 'offline',
  extra: Record<string, string> = {},
): Promise<AgentResponse> {
  const auth = clientAuth(clientId);
  return new Agent(t.ws).post('oauth2/revoke', { form: { token, ...auth.form, ...extra }, headers: auth.headers });
}

/** Introspects as the resource server, which may. */
export async function introspect(t: TestWorkspace, token: string): Promise<Record<string, unknown>> {
  const res = await new Agent(t.ws).post('oauth2/introspect', {
    form: { token },
    headers: { Authorization: basic('orders-api') },
  });
  if (res.status !== 200) throw new Error(`introspection failed: ${res.status} ${res.body}`);
  return res.json();
}

/** The payload of a JWT, unverified: for reading what the server put in. */
export const claimsOf = (jwt: string): Record<string, any> =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

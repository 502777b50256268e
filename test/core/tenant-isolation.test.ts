// Tenant isolation as a matrix: every artifact workspace A issues (code, access/refresh/ID token, session cookie, client
// credentials, user) is refused by every endpoint of workspace B where it could be presented, and still works at A after.
import { beforeAll, describe, expect, it } from 'vitest';
import { hashClientSecret, hashPassword, newId } from '../../lambdas/core/crypto.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import { authorize } from '../../lambdas/core/endpoints/authorize/authorize.js';
import { logout } from '../../lambdas/core/endpoints/logout.js';
import type { ResponseError } from '../../lambdas/core/http.js';
import { Agent, type AgentResponse } from '../support/agent.js';
import { authorizeUrl, follow, obtainCode, submitLogin, validRequest } from '../support/flow.js';
import { basic, introspect, refresh, signIn } from '../support/lifecycle.js';
import { TEST_PASSWORD, newTestWorkspace, type TestWorkspace } from '../support/workspace.js';

const SESSION = 'authz_session';
const A_SECRET = 'a-secret-only-workspace-a-knows-of-48-characters';

/** A confidential client registered only in A (B has no such id): every grant, a logout address, and it may introspect. */
const aOnlyClient: ClientRegistration = {
  clientId: 'a-only',
  clientName: 'A only',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: ['https://a-only.example.com/cb'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  scopes: ['openid', 'profile', 'offline_access'],
  postLogoutRedirectUris: ['https://a-only.example.com/signed-out'],
  introspection: true,
};

/** Two workspaces of different tenants; with `sharedKey`, both sign with the same key file. */
async function twoWorkspaces(sharedKey: boolean): Promise<{ a: TestWorkspace; b: TestWorkspace }> {
  const a = await newTestWorkspace({ tenantId: 'acme', workspaceId: 'main' });
  const b = await newTestWorkspace({
    tenantId: 'globex',
    workspaceId: 'prod',
    ...(!sharedKey && { keyFile: 'tenant-isolation-b.pem' }),
  });
  await a.stores.directory.putClient({ ...aOnlyClient, secretHash: hashClientSecret(A_SECRET) });
  await a.stores.directory.createUser({
    sub: newId(),
    username: 'anna',
    passwordHash: await hashPassword(TEST_PASSWORD),
    claims: { name: 'Anna of A' },
  });
  return { a, b };
}

/** What A issued in one sign-in of alice at `offline` (plus a fresh, unredeemed code of the same browser). */
interface Artifacts {
  readonly agent: Agent;
  readonly session: string;
  readonly code: string;
  readonly verifier: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly idToken: string;
}

async function issueAtA(a: TestWorkspace): Promise<Artifacts> {
  const agent = new Agent(a.ws);
  const tokens = await signIn(a, { agent });
  const { params, verifier } = validRequest(
    'offline',
    'https://offline.example.com/cb',
    'openid profile offline_access',
  );
  const code = (await obtainCode(agent, params)).searchParams.get('code')!;
  return {
    agent,
    session: agent.cookies.get(SESSION)!,
    code,
    verifier,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    idToken: tokens.id_token,
  };
}

/** A browser at B carrying only A's session cookie. */
function browserAtB(b: TestWorkspace, x: Artifacts): Agent {
  const agent = new Agent(b.ws);
  agent.cookies.set(SESSION, x.session);
  return agent;
}

const offlineAuthorize = (extra: Record<string, string> = {}) => {
  const { params } = validRequest('offline', 'https://offline.example.com/cb', 'openid profile offline_access');
  return authorizeUrl({ ...params, ...extra });
};

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** An OAuth error response: status, error code, nothing cached. */
function expectOAuthError(res: AgentResponse, status: number, error: string) {
  expect(res.status, res.body).toBe(status);
  expect(res.json().error).toBe(error);
}

/** A 400 page carrying `error` (as the core endpoint returns it; the wire never shows it), no redirect, no cookie. */
function expectRefusedPage(res: AgentResponse & { readonly error?: ResponseError }, error = 'invalid_request') {
  expect(res.status, res.body.slice(0, 200)).toBe(400);
  expect(res.error?.error).toBe(error);
  expect(res.location).toBeUndefined();
  expect(res.setCookies).toEqual([]);
}

/** The redirect back to the client with `error`. */
function expectRedirectError(res: AgentResponse, error: string) {
  expect(res.status, res.body.slice(0, 200)).toBe(302);
  expect(res.location!.origin + res.location!.pathname).toBe('https://offline.example.com/cb');
  expect(res.location!.searchParams.get('error')).toBe(error);
  expect(res.location!.searchParams.get('code')).toBeNull();
}

/** The login page of B, for nobody signed in. */
async function expectLoginPage(agent: Agent, res: AgentResponse) {
  let page = res;
  while (page.location && page.location.pathname.endsWith('/consent')) page = await follow(agent, page);
  expect(page.status).toBe(200);
  expect(page.body).toContain('name="password"');
}

type Artifact = 'code' | 'access token' | 'refresh token' | 'ID token' | 'session cookie' | 'client' | 'user';

interface Cell {
  readonly artifact: Artifact;
  readonly endpoint: string;
  /** Presents the artifact at B and asserts the exact refusal. */
  readonly refuse: (b: TestWorkspace, x: Artifacts) => Promise<void>;
}

const tokenAtB = (b: TestWorkspace, form: Record<string, string>, headers: Record<string, string> = {}) =>
  new Agent(b.ws).post('oauth2/token', { form, headers });
const introspectAtB = (b: TestWorkspace, token: string) =>
  new Agent(b.ws).post('oauth2/introspect', { form: { token }, headers: { Authorization: basic('orders-api') } });
const revokeAtB = (b: TestWorkspace, token: string) =>
  new Agent(b.ws).post('oauth2/revoke', { form: { token, client_id: 'offline' } });

async function expectRevokeQuiet(res: AgentResponse) {
  expect(res.status).toBe(200);
  expect(res.body).toBe('');
}

/** A's three tokens, by artifact. */
const tokenOf = (artifact: Artifact, x: Artifacts): string =>
  artifact === 'access token' ? x.accessToken : artifact === 'refresh token' ? x.refreshToken : x.idToken;
const TOKENS = ['access token', 'refresh token', 'ID token'] as const;

// Cells without a test, as they make no sense (each endpoint is listed with what it could take):
// - code: only the token endpoint (authorization_code) takes one; to userinfo, introspection, revocation, authorize,
//   logout or PAR it is an opaque unknown string like any garbage, and a JWT-or-opaque lookup is covered above;
// - access / ID token at the token endpoint: a JWT is no code or refresh token at any workspace (type confusion,
//   the token tests' business, not isolation); ID token at revocation: RFC 7009 revokes access and refresh tokens only;
//   access / refresh token as id_token_hint: the logout and authorize tests refuse a non-ID token at its own workspace;
// - session cookie at the token endpoint, userinfo, introspection, revocation and PAR: those never read cookies;
// - client at userinfo: it takes a bearer token, never client credentials;
// - user at every endpoint but the login form: a user is presented only by username and password, there.
const cells: Cell[] = [
  {
    artifact: 'code',
    endpoint: 'token (authorization_code)',
    refuse: async (b, x) =>
      expectOAuthError(
        await tokenAtB(b, {
          grant_type: 'authorization_code',
          code: x.code,
          code_verifier: x.verifier,
          redirect_uri: 'https://offline.example.com/cb',
          client_id: 'offline',
        }),
        400,
        'invalid_grant',
      ),
  },
  {
    artifact: 'refresh token',
    endpoint: 'token (refresh_token)',
    refuse: async (b, x) =>
      expectOAuthError(
        await tokenAtB(b, { grant_type: 'refresh_token', refresh_token: x.refreshToken, client_id: 'offline' }),
        400,
        'invalid_grant',
      ),
  },
  ...TOKENS.map((artifact): Cell => ({
    artifact,
    endpoint: 'userinfo',
    refuse: async (b, x) =>
      expectOAuthError(await new Agent(b.ws).get('userinfo', bearer(tokenOf(artifact, x))), 401, 'invalid_token'),
  })),
  ...TOKENS.map((artifact): Cell => ({
    artifact,
    endpoint: 'introspection',
    refuse: async (b, x) => {
      const res = await introspectAtB(b, tokenOf(artifact, x));
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ active: false });
    },
  })),
  ...(['access token', 'refresh token'] as const).map((artifact): Cell => ({
    artifact,
    endpoint: 'revocation',
    refuse: async (b, x) => expectRevokeQuiet(await revokeAtB(b, tokenOf(artifact, x))),
  })),
  {
    artifact: 'session cookie',
    endpoint: 'authorize',
    refuse: async (b, x) => {
      const agent = browserAtB(b, x);
      await expectLoginPage(agent, await agent.get(offlineAuthorize()));
    },
  },
  {
    artifact: 'session cookie',
    endpoint: 'authorize (prompt=none)',
    refuse: async (b, x) =>
      expectRedirectError(await browserAtB(b, x).get(offlineAuthorize({ prompt: 'none' })), 'login_required'),
  },
  {
    artifact: 'session cookie',
    endpoint: 'logout',
    // B has no such session: it says signed out (and clears the cookie) and touches nothing of A.
    refuse: async (b, x) => {
      const res = await browserAtB(b, x).get('oauth2/logout');
      expect(res.status).toBe(200);
      expect(res.body).toContain('You are signed out');
    },
  },
  {
    artifact: 'ID token',
    endpoint: 'authorize (id_token_hint)',
    refuse: async (b, x) =>
      expectRedirectError(await new Agent(b.ws).get(offlineAuthorize({ id_token_hint: x.idToken })), 'invalid_request'),
  },
  {
    artifact: 'ID token',
    endpoint: 'authorize (id_token_hint, prompt=none, A session)',
    refuse: async (b, x) =>
      expectRedirectError(
        await browserAtB(b, x).get(offlineAuthorize({ id_token_hint: x.idToken, prompt: 'none' })),
        'invalid_request',
      ),
  },
  {
    artifact: 'ID token',
    endpoint: 'logout (id_token_hint)',
    refuse: async (b, x) => {
      const res = await new Agent(b.ws).core(
        logout,
        'GET',
        `oauth2/logout?${new URLSearchParams({ id_token_hint: x.idToken, post_logout_redirect_uri: 'https://offline.example.com/cb' })}`,
      );
      expectRefusedPage(res);
    },
  },
  {
    artifact: 'client',
    endpoint: 'token (client_credentials)',
    refuse: async (b) =>
      expectOAuthError(
        await tokenAtB(b, { grant_type: 'client_credentials' }, { Authorization: basic('a-only', A_SECRET) }),
        401,
        'invalid_client',
      ),
  },
  {
    artifact: 'client',
    endpoint: 'token (refresh_token)',
    refuse: async (b, x) =>
      expectOAuthError(
        await tokenAtB(
          b,
          { grant_type: 'refresh_token', refresh_token: x.refreshToken },
          { Authorization: basic('a-only', A_SECRET) },
        ),
        401,
        'invalid_client',
      ),
  },
  {
    artifact: 'client',
    endpoint: 'introspection',
    refuse: async (b, x) =>
      expectOAuthError(
        await new Agent(b.ws).post('oauth2/introspect', {
          form: { token: x.accessToken },
          headers: { Authorization: basic('a-only', A_SECRET) },
        }),
        401,
        'invalid_client',
      ),
  },
  {
    artifact: 'client',
    endpoint: 'revocation',
    refuse: async (b, x) =>
      expectOAuthError(
        await new Agent(b.ws).post('oauth2/revoke', {
          form: { token: x.accessToken },
          headers: { Authorization: basic('a-only', A_SECRET) },
        }),
        401,
        'invalid_client',
      ),
  },
  {
    artifact: 'client',
    endpoint: 'PAR',
    refuse: async (b) => {
      const { params } = validRequest('a-only', 'https://a-only.example.com/cb', 'openid');
      expectOAuthError(
        await new Agent(b.ws).post('oauth2/par', {
          form: params as Record<string, string>,
          headers: { Authorization: basic('a-only', A_SECRET) },
        }),
        401,
        'invalid_client',
      );
    },
  },
  {
    artifact: 'client',
    endpoint: 'authorize',
    // An unknown client: a page, never a redirect to A's registered URI.
    refuse: async (b) => {
      const { params } = validRequest('a-only', 'https://a-only.example.com/cb', 'openid');
      expectRefusedPage(await new Agent(b.ws).core(authorize, 'GET', authorizeUrl(params)), 'invalid_client');
    },
  },
  {
    artifact: 'client',
    endpoint: 'logout (client_id)',
    refuse: async (b) =>
      expectRefusedPage(
        await new Agent(b.ws).core(
          logout,
          'GET',
          `oauth2/logout?${new URLSearchParams({ client_id: 'a-only', post_logout_redirect_uri: 'https://a-only.example.com/signed-out' })}`,
        ),
      ),
  },
  {
    artifact: 'user',
    endpoint: 'login (consent)',
    refuse: async (b) => {
      const agent = new Agent(b.ws);
      let page = await agent.get(offlineAuthorize());
      while (page.location && page.location.pathname.endsWith('/consent')) page = await follow(agent, page);
      const res = await submitLogin(agent, page, 'anna');
      expect(res.status).toBe(200);
      expect(res.body).toContain('The username or password is incorrect.');
      expect(agent.cookies.has(SESSION)).toBe(false);
    },
  },
];

/** Checks at A that the artifact still works after B saw it. */
async function stillWorksAtA(a: TestWorkspace, artifact: Artifact, x: Artifacts): Promise<void> {
  switch (artifact) {
    case 'code': {
      const res = await new Agent(a.ws).post('oauth2/token', {
        form: {
          grant_type: 'authorization_code',
          code: x.code,
          code_verifier: x.verifier,
          redirect_uri: 'https://offline.example.com/cb',
          client_id: 'offline',
        },
      });
      expect(res.status, res.body).toBe(200);
      return;
    }
    case 'access token':
      expect((await new Agent(a.ws).get('userinfo', bearer(x.accessToken))).status).toBe(200);
      expect((await introspect(a, x.accessToken)).active).toBe(true);
      return;
    case 'refresh token': {
      expect((await introspect(a, x.accessToken)).active).toBe(true);
      const res = await refresh(a, x.refreshToken);
      expect(res.status, res.body).toBe(200);
      return;
    }
    case 'ID token':
    case 'session cookie': {
      // The session of A answers, for the user the hint names.
      const res = await x.agent.get(offlineAuthorize({ prompt: 'none', id_token_hint: x.idToken }));
      expect(res.location?.searchParams.get('code'), res.location?.href).toBeTruthy();
      expect(x.agent.cookies.get(SESSION)).toBe(x.session);
      return;
    }
    case 'client': {
      const res = await new Agent(a.ws).post('oauth2/introspect', {
        form: { token: x.accessToken },
        headers: { Authorization: basic('a-only', A_SECRET) },
      });
      expect(res.status, res.body).toBe(200);
      expect(res.json().active).toBe(true);
      return;
    }
    case 'user': {
      const agent = new Agent(a.ws);
      let page = await agent.get(offlineAuthorize());
      while (page.location && page.location.pathname.endsWith('/consent')) page = await follow(agent, page);
      const res = await submitLogin(agent, page, 'anna');
      expect(res.status).toBe(303);
      expect(agent.cookies.has(SESSION)).toBe(true);
      return;
    }
  }
}

describe.each([
  { keys: 'distinct signing keys', sharedKey: false },
  // The harder case: one key signs for both, so only iss/aud and each workspace's own table keep them apart. All the
  // same refusals must hold.
  { keys: 'one shared signing key', sharedKey: true },
])('workspace A → workspace B, $keys', ({ sharedKey }) => {
  let a: TestWorkspace;
  let b: TestWorkspace;
  beforeAll(async () => {
    ({ a, b } = await twoWorkspaces(sharedKey));
  });

  it('the setup: different issuers, and the keys shared or not as the case says', async () => {
    expect(a.ws.issuer).not.toBe(b.ws.issuer);
    expect(a.tableName).not.toBe(b.tableName);
    const [ka, kb] = [await a.ws.keys.active.publicJwk(), await b.ws.keys.active.publicJwk()];
    expect(ka.kid === kb.kid).toBe(sharedKey);
  });

  it.each(cells)('$artifact at $endpoint: refused, and still works at A', async ({ artifact, refuse }) => {
    const x = await issueAtA(a);
    const auditB = b.audit.length;
    await refuse(b, x);
    // B records nothing of it but, for the user, a failed login.
    expect(b.audit.slice(auditB).map((e) => e.type)).toEqual(artifact === 'user' ? ['login.failed'] : []);
    await stillWorksAtA(a, artifact, x);
  });
});

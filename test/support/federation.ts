// Two workspaces of this server, one the other's identity source, wired through the handlers (no network).
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { hashClientSecret } from '../../lambdas/core/crypto.js';
import {
  identitySourceSettings,
  type IdentitySourceRegistration,
} from '../../lambdas/core/federation/identity-sources.js';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import type { WorkspaceSettings } from '../../lambdas/core/workspace.js';
import { Agent, hiddenField, type AgentResponse } from './agent.js';
import { authorizeUrl, follow, obtainCode, validRequest } from './flow.js';
import { newTestWorkspace, TEST_SECRET, type TestWorkspace } from './workspace.js';

/** A fetch answered by a handler through `server` (an Agent without cookies): the back channel to a workspace. */
export function agentFetch(server: Agent): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const res = await server.request(init?.method ?? 'GET', String(input), {
      ...(init?.body !== undefined && init.body !== null && { body: String(init.body) }),
      headers,
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  }) as typeof fetch;
}

/** The upstream workspace's client for the main one: first party, so its users are not asked to consent there. */
export const federationClient = (mainIssuer: string): ClientRegistration => ({
  clientId: 'acme-main',
  clientName: 'Acme main workspace',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: [`${mainIssuer}/federation/callback`],
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'email'],
  firstParty: true,
});

/** The discovery document of a stand-in provider at `issuer`, its endpoints under it; `extra` adds or replaces fields. */
export const providerMetadata = (issuer: string, extra: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  id_token_signing_alg_values_supported: ['RS256'],
  ...extra,
});

/** Source `corp` of main: the upstream at `issuer`, where main is client `acme-main`; email and name mapped. */
export const corpSource = (issuer: string, overrides: Partial<IdentitySourceRegistration> = {}) =>
  identitySourceSettings({
    id: 'corp',
    name: 'Corp SSO',
    type: 'oidc',
    issuer,
    clientId: 'acme-main',
    claims: { email: 'email', name: 'name' },
    ...overrides,
  });

export interface FederatedPair {
  readonly main: TestWorkspace;
  readonly upstream: TestWorkspace;
}

/** `acme/main` with `acme/upstream` as its identity source `corp`. */
export async function federatedPair(
  opts: {
    settings?: Partial<WorkspaceSettings>;
    source?: Partial<IdentitySourceRegistration>;
    /** Wraps main's back channel to the upstream (to watch or change what passes). */
    backChannel?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch;
  } = {},
): Promise<FederatedPair> {
  const upstream = await newTestWorkspace({ workspaceId: 'upstream', keyFile: 'upstream.pem' });
  const mainIssuer = 'https://auth.example.com/acme/main';
  await upstream.stores.directory.putClient({
    ...federationClient(mainIssuer),
    secretHash: hashClientSecret(TEST_SECRET),
  });
  const source = corpSource(upstream.ws.issuer, opts.source);
  const main = await newTestWorkspace({
    ...(opts.settings && { settings: opts.settings }),
    federation: {
      sources: [source],
      upstream: new UpstreamOidc({
        clientSecret: async () => TEST_SECRET,
        fetch: (opts.backChannel ?? ((f) => f))(agentFetch(new Agent(upstream.ws))),
      }),
    },
  });
  return { main, upstream };
}

/** One browser: its cookies for each workspace (their paths differ, so a real browser keeps them apart too). */
export interface FederatedBrowser {
  readonly main: Agent;
  readonly upstream: Agent;
}

export const newBrowser = (pair: FederatedPair): FederatedBrowser => ({
  main: new Agent(pair.main.ws),
  upstream: new Agent(pair.upstream.ws),
});

/**
 * Authorize at main for the first-party client, then press the source's button: the redirect to the source. `main`
 * is the browser at main (or a federated browser, whose `main` it takes).
 */
export async function leaveForSource(browser: FederatedBrowser | Agent, sourceId = 'corp') {
  const main = browser instanceof Agent ? browser : browser.main;
  const request = validRequest('first', 'https://first.example.com/cb');
  const login = await follow(main, await main.get(authorizeUrl(request.params)));
  const res = await main.post('consent', {
    form: { txn: hiddenField(login.body, 'txn'), csrf: hiddenField(login.body, 'csrf'), source: sourceId },
  });
  return { request, login, res };
}

/** A whole federated sign-in of the upstream's alice: returns main's answer to the callback. */
export async function federatedSignIn(browser: FederatedBrowser): Promise<{
  request: ReturnType<typeof validRequest>;
  callback: URL;
  res: AgentResponse;
}> {
  const { request, res: toSource } = await leaveForSource(browser);
  const callback = await obtainCode(browser.upstream, Object.fromEntries(toSource.location!.searchParams));
  return { request, callback, res: await browser.main.get(callback.href) };
}

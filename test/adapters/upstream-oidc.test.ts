// The HTTP UpstreamProvider: discovery checked and cached, bounded like every outgoing request.
import { describe, expect, it } from 'vitest';
import { UpstreamOidc } from '../../lambdas/adapters/http/upstream-oidc.js';
import { UpstreamUnavailable } from '../../lambdas/core/ports/upstream.js';

const ISSUER = 'https://idp.example.com';
const metadata = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
};

/** A fetch answering `body` for every request, counting them. */
function answering(body: unknown, status = 200) {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    calls.push(String(input));
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const upstream = (fetch: typeof globalThis.fetch, maxBytes?: number) =>
  new UpstreamOidc({ clientSecret: async () => 's', fetch, ...(maxBytes && { maxBytes }) });

it('reads the discovery document once and serves it from memory', async () => {
  const { calls, fetch } = answering(metadata);
  const provider = upstream(fetch);
  expect(await provider.metadata(ISSUER)).toEqual({
    issuer: ISSUER,
    authorizationEndpoint: `${ISSUER}/authorize`,
    tokenEndpoint: `${ISSUER}/token`,
    jwksUri: `${ISSUER}/jwks`,
    idTokenSigningAlgs: ['RS256'],
    issParameterSupported: false,
  });
  await provider.metadata(ISSUER);
  expect(calls).toEqual([`${ISSUER}/.well-known/openid-configuration`]);
});

it('refuses a document naming another issuer, lacking an endpoint, too large, or not there', async () => {
  const cases: Array<[ReturnType<typeof answering>, string, number?]> = [
    [answering({ ...metadata, issuer: 'https://evil.example.com' }), 'discovery document names another issuer'],
    [answering({ ...metadata, token_endpoint: undefined }), 'discovery document has no token_endpoint'],
    [
      answering({ ...metadata, token_endpoint: 'http://idp.example.com/token' }),
      "discovery document's token_endpoint is not https",
    ],
    [answering({ ...metadata, padding: 'x'.repeat(2000) }), 'discovery: response larger than 1024 bytes', 1024],
    [answering('not found', 404), 'discovery: status 404'],
    [answering('<html>'), 'discovery: response is not JSON'],
  ];
  for (const [{ fetch }, message, maxBytes] of cases) {
    await expect(upstream(fetch, maxBytes).metadata(ISSUER)).rejects.toThrow(new UpstreamUnavailable(message));
  }
  const failing = (async () => {
    throw new TypeError('fetch failed');
  }) as typeof globalThis.fetch;
  await expect(upstream(failing).metadata(ISSUER)).rejects.toThrow(
    new UpstreamUnavailable('discovery: request failed'),
  );
  await expect(upstream(failing).tokenRequest(`${ISSUER}/token`, {}, {})).rejects.toThrow(UpstreamUnavailable);
});

it('reads userinfo_endpoint when named, held to https like the other endpoints', async () => {
  const named = answering({ ...metadata, userinfo_endpoint: `${ISSUER}/userinfo` });
  expect(await upstream(named.fetch).metadata(ISSUER)).toMatchObject({ userinfoEndpoint: `${ISSUER}/userinfo` });
  expect(await upstream(answering(metadata).fetch).metadata(ISSUER)).not.toHaveProperty('userinfoEndpoint');
  const plain = answering({ ...metadata, userinfo_endpoint: 'http://idp.example.com/userinfo' });
  await expect(upstream(plain.fetch).metadata(ISSUER)).rejects.toThrow(
    new UpstreamUnavailable("discovery document's userinfo_endpoint is not https"),
  );
});

describe('userInfo', () => {
  const TOKEN = 'at-0123456789';

  /** A fetch answering UserInfo with `body` and `type`, recording the request. */
  function userInfoEndpoint(body: string, type: string | null, status = 200) {
    const requests: { url: string; method: string; headers: Record<string, string>; redirect?: string }[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
      requests.push({
        url: String(input),
        method: init?.method ?? 'GET',
        headers,
        ...(init?.redirect && { redirect: init.redirect }),
      });
      return new Response(body, { status, headers: type ? { 'content-type': type } : {} });
    }) as typeof globalThis.fetch;
    return { requests, fetch };
  }

  it('GETs the endpoint with the token in the Authorization header only, no redirects, and returns the object', async () => {
    const { requests, fetch } = userInfoEndpoint('{"sub":"s","email":"e@x"}', 'application/json; charset=utf-8');
    expect(await upstream(fetch).userInfo(`${ISSUER}/userinfo`, TOKEN)).toEqual({ sub: 's', email: 'e@x' });
    expect(requests).toEqual([
      {
        url: `${ISSUER}/userinfo`,
        method: 'GET',
        headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json' },
        redirect: 'error',
      },
    ]);
  });

  it('refuses every other answer, saying why without repeating it', async () => {
    const cases: [ReturnType<typeof userInfoEndpoint>, string, number?][] = [
      [userInfoEndpoint('{"error":"invalid_token"}', 'application/json', 401), 'userinfo: status 401'],
      [userInfoEndpoint('{}', 'application/json', 500), 'userinfo: status 500'],
      [
        userInfoEndpoint('eyJhbGciOiJSUzI1NiJ9.e30.c2ln', 'application/jwt'),
        'userinfo: signed or encrypted answer not used',
      ],
      [userInfoEndpoint('{"sub":"s"}', 'text/html'), 'userinfo: answer is not application/json'],
      [userInfoEndpoint('{"sub":"s"}', null), 'userinfo: answer is not application/json'],
      [userInfoEndpoint('["s"]', 'application/json'), 'userinfo: answer is not a JSON object'],
      [userInfoEndpoint('{"sub":', 'application/json'), 'userinfo: answer is not a JSON object'],
      [
        userInfoEndpoint(`{"sub":"${'x'.repeat(2000)}"}`, 'application/json'),
        'userinfo: response larger than 1024 bytes',
        1024,
      ],
    ];
    for (const [{ fetch }, message, maxBytes] of cases) {
      const failure = upstream(fetch, maxBytes).userInfo(`${ISSUER}/userinfo`, TOKEN);
      await expect(failure).rejects.toThrow(new UpstreamUnavailable(message));
    }
  });

  it('gives up on an endpoint that does not answer in time, or cannot be reached', async () => {
    const hanging = ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) =>
        init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)),
      )) as typeof globalThis.fetch;
    const slow = new UpstreamOidc({ clientSecret: async () => 's', fetch: hanging, timeoutMs: 50 });
    await expect(slow.userInfo(`${ISSUER}/userinfo`, TOKEN)).rejects.toThrow(
      new UpstreamUnavailable('userinfo: no response within 50 ms'),
    );
    const failing = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof globalThis.fetch;
    await expect(upstream(failing).userInfo(`${ISSUER}/userinfo`, TOKEN)).rejects.toThrow(
      new UpstreamUnavailable('userinfo: request failed'),
    );
  });
});

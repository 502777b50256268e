// The HTTP UpstreamProvider: discovery checked and cached, bounded like every outgoing request.
import { expect, it } from 'vitest';
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

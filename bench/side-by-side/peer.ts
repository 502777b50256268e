// The peer of the side-by-side benchmark, in a process of its own: node-oidc-provider with its in-memory adapter, the
// same clients and RS256, and a small login and consent interaction whose password check is the same scrypt
// verification (same parameters, same function) our consent endpoint runs, so full flows do equal hashing work.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';
import { hashPassword, verifyPassword } from '../../lambdas/core/crypto.js';
import { interactionHandler } from '../../test/support/oidc-provider-interactions.js';
import { BACKEND, PASSWORD, SPA, type ReadyMessage, type ServerOptions, userClaims, username } from './setup.js';

const opts = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerOptions;
/** The resource every token is made out to, so the peer signs JWT access tokens as our server does. */
const API = 'https://api.example.com';

const hash = await hashPassword(PASSWORD);
const users = new Map(
  Array.from({ length: opts.users }, (_, i) => [username(i), { sub: `sub-${i}`, hash, claims: userClaims(i) }]),
);
const bySub = new Map([...users.values()].map((u) => [u.sub, u]));

let provider: InstanceType<typeof Provider> | undefined;
const route = interactionHandler(() => provider, {
  fields: '<input name="username"><input type="password" name="password">',
  // The same scrypt verification as our consent endpoint, so full flows do equal hashing work.
  check: async (form) => {
    const user = users.get(form.get('username') ?? '');
    if (!user || !(await verifyPassword(form.get('password') ?? '', user.hash)))
      return { refused: 'The username or password is incorrect.' };
    return { accountId: user.sub };
  },
});
const http = createServer((req, res) => void route(req, res));
await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
provider = new Provider(issuer, {
  clients: [
    {
      client_id: SPA.clientId,
      token_endpoint_auth_method: 'none',
      redirect_uris: [SPA.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: SPA.scopes.join(' '),
    },
    {
      client_id: BACKEND.clientId,
      client_secret: BACKEND.secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: BACKEND.scope,
    },
  ],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  scopes: ['openid', 'profile', 'email', 'offline_access', BACKEND.scope],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: BACKEND.scope,
        audience: API,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx: unknown, sub: string) => {
    const user = bySub.get(sub);
    return user && { accountId: sub, claims: () => ({ sub, ...user.claims }) };
  },
});

process.send!({ ready: true, issuer } satisfies ReadyMessage);
process.on('disconnect', () => http.close(() => process.exit(0)));

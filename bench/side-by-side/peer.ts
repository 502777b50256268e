// The peer of the side-by-side benchmark, in a process of its own: node-oidc-provider with its in-memory adapter, the
// same clients and RS256, and a small login and consent interaction whose password check is the same scrypt
// verification (same parameters, same function) our consent endpoint runs, so full flows do equal hashing work.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';
import { hashPassword, verifyPassword } from '../../lambdas/core/crypto.js';
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

const page = (res: ServerResponse, html: string): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
};

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

/** The interaction routes, as a deployment of node-oidc-provider would write them; everything else is the provider's. */
async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const p = provider!;
  const m = /^\/interaction\/([^/]+)(\/login|\/confirm)?$/.exec(req.url ?? '');
  if (!m) return p.callback()(req, res);
  try {
    const details = await p.interactionDetails(req, res);
    if (req.method === 'GET') {
      const action = details.prompt.name === 'login' ? 'login' : 'confirm';
      const fields =
        action === 'login'
          ? '<input name="username"><input type="password" name="password">'
          : '<input type="hidden" name="decision" value="allow">';
      return page(res, `<form method="post" action="/interaction/${details.uid}/${action}">${fields}</form>`);
    }
    const form = await readForm(req);
    if (m[2] === '/login') {
      const user = users.get(form.get('username') ?? '');
      if (!(await verifyPassword(form.get('password') ?? '', user?.hash)))
        return page(res, '<p>The username or password is incorrect.</p>');
      return await p.interactionFinished(
        req,
        res,
        { login: { accountId: user!.sub } },
        { mergeWithLastSubmission: false },
      );
    }
    const grant = details.grantId
      ? (await p.Grant.find(details.grantId))!
      : new p.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    return await p.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`interaction failed: ${(err as Error).message}`);
  }
}

process.send!({ ready: true, issuer } satisfies ReadyMessage);
process.on('disconnect', () => http.close(() => process.exit(0)));

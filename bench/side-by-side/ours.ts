// Our server for the side-by-side benchmark, in a process of its own: the local server (the real handler modules
// behind node:http) against the DynamoDB Local the parent started, with the benchmark's clients and users.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalConfig } from '../../lambdas/local/config.js';
import { startLocalServer } from '../../lambdas/local/server.js';
import { BACKEND, PASSWORD, SPA, type ReadyMessage, type ServerOptions, userClaims, username } from './setup.js';

process.env.AUTHZ_LOG = 'off';
const opts = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerOptions;

const config: LocalConfig = {
  workspaces: [
    {
      tenantId: 'bench',
      workspaceId: 'main',
      clients: [
        {
          clientId: SPA.clientId,
          tokenEndpointAuthMethod: 'none',
          redirectUris: [SPA.redirectUri],
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: [...SPA.scopes],
        },
        {
          clientId: BACKEND.clientId,
          tokenEndpointAuthMethod: 'client_secret_basic',
          clientSecret: BACKEND.secret,
          redirectUris: [],
          grantTypes: ['client_credentials'],
          scopes: [BACKEND.scope],
        },
      ],
      users: Array.from({ length: opts.users }, (_, i) => ({
        username: username(i),
        password: PASSWORD,
        claims: userClaims(i),
      })),
    },
  ],
};

const keyDir = mkdtempSync(join(tmpdir(), 'bench-keys-'));
const server = await startLocalServer({
  port: 0,
  quiet: true,
  config,
  signingAlg: 'RS256',
  keyDir,
  ...(opts.dynamoEndpoint !== undefined && { dynamoEndpoint: opts.dynamoEndpoint }),
});
process.send!({ ready: true, issuer: server.issuers[0]! } satisfies ReadyMessage);
process.on(
  'disconnect',
  () =>
    void server.stop().then(() => {
      rmSync(keyDir, { recursive: true, force: true });
      process.exit(0);
    }),
);

// The local server: DynamoDB Local, seeded workspaces and the handler modules behind node:http, started by one call.
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_CREDENTIALS } from '../adapters/aws/credentials.js';
import { DynamoDb } from '../adapters/aws/dynamodb.js';
import { systemClock } from '../core/ports/clock.js';
import type { SigningAlg } from '../core/ports/signing.js';
import { defaultSettings, type Workspace } from '../core/workspace.js';
import { auditLog } from '../adapters/log.js';
import { noRequestLog, textRequestLog } from '../adapters/request-log.js';
import { dynamoStores } from '../adapters/dynamodb/stores.js';
import { createTable } from '../adapters/dynamodb/table.js';
import { RemoteJwks } from '../adapters/http/remote-jwks.js';
import { UpstreamOidc } from '../adapters/http/upstream-oidc.js';
import { identitySourceSettings } from '../core/federation/identity-sources.js';
import { UpstreamUnavailable } from '../core/ports/upstream.js';
import {
  DEMO_BACKEND_SECRET,
  DEMO_CALLBACK_PATH,
  DEMO_UPSTREAM_USERS,
  DEMO_USERS,
  demoConfig,
  type LocalConfig,
  type LocalWorkspaceConfig,
} from './config.js';
import { DEMO_START_PATH, type DemoTarget, DemoRelyingParty, startUrl } from './demo-rp.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { createGateway } from './gateway.js';
import { homePage } from './pages.js';
import { seedWorkspace } from './seed.js';
import { LocalSigner } from '../adapters/key-file/signer.js';

export interface LocalServerOptions {
  /** Port on localhost; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** The workspaces to serve. @default the demo workspace, see `demoConfig` */
  readonly config?: LocalConfig;
  /**
   * Print nothing when ready, and no line per request (audit events and failures of the server itself are still
   * logged unless `AUTHZ_LOG=off`). Otherwise each request gets one short line: workspace, route, status, time.
   * @default false
   */
  readonly quiet?: boolean;
  /** A DynamoDB (Local) that is already running, e.g. the test run's; otherwise one is started and stopped with the server. */
  readonly dynamoEndpoint?: string;
  /** The algorithm every workspace signs with. @default 'RS256', the deployed default */
  readonly signingAlg?: SigningAlg;
  /** Where the signing keys are kept, one PEM file per workspace and algorithm. @default '.local/keys' of the repository */
  readonly keyDir?: string;
}

export interface LocalServer {
  /** `http://localhost:<port>`, with the port actually listened on. */
  readonly url: string;
  /** Every workspace's issuer, `{url}/{tenantId}/{workspaceId}`. */
  readonly issuers: readonly string[];
  /** The running workspaces, for tests that look behind the endpoints. */
  readonly workspaces: readonly Workspace[];
  /** Closes the HTTP server and stops DynamoDB Local if this server started it. */
  stop(): Promise<void>;
}

const DEFAULT_KEY_DIR = fileURLToPath(new URL('../../../.local/keys', import.meta.url));
/** Short, so clients changed behind the server's back show up quickly; the deployed default is longer. */
const CLIENT_CACHE_SECONDS = 5;
/** The scopes the demo relying party asks for, where its client may have them. */
const DEMO_SCOPES = ['openid', 'profile', 'email'];

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`Port ${port} is already in use; set PORT to another one.`);
    this.name = 'PortInUseError';
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err);
    server.once('error', failed);
    // localhost only: the demo credentials are well known, so nothing else on the network may reach them.
    server.listen(port, 'localhost', () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The public client the demo relying party signs in with: one that registered the local callback and may ask for `openid`. */
function demoTarget(ws: LocalWorkspaceConfig, issuer: string, callbackUrl: string): DemoTarget | undefined {
  const client = ws.clients.find(
    (c) =>
      c.tokenEndpointAuthMethod === 'none' &&
      c.grantTypes.includes('authorization_code') &&
      c.redirectUris.includes(callbackUrl) &&
      c.scopes.includes('openid'),
  );
  if (!client) return undefined;
  return {
    key: `${ws.tenantId}/${ws.workspaceId}`,
    issuer,
    clientId: client.clientId,
    scopes: DEMO_SCOPES.filter((s) => client.scopes.includes(s)),
  };
}

function printBanner(
  url: string,
  config: LocalConfig,
  workspaces: readonly LocalWorkspace[],
  dynamoEndpoint: string,
  demo: boolean,
): void {
  const lines = [`cdk-authorization-server is running at ${url}`, '', 'Issuers:'];
  for (const ws of workspaces) {
    lines.push(
      `  ${ws.issuer}`,
      `    discovery: ${ws.issuer}/.well-known/openid-configuration`,
      `    admin:     npm run admin -- --endpoint ${dynamoEndpoint} --table ${ws.tableName} users list`,
    );
  }
  if (demo) {
    lines.push('', 'Demo workspaces (no --config given), for local use only:');
    for (const ws of config.workspaces) {
      lines.push(`  ${ws.tenantId}/${ws.workspaceId}`);
      for (const c of ws.clients) {
        lines.push(
          `    client ${c.clientId} (${c.tokenEndpointAuthMethod})${c.clientSecret ? `, secret: ${c.clientSecret}` : ''}`,
        );
      }
      for (const u of ws.users) lines.push(`    user ${u.username}, password: ${u.password}`);
      for (const s of ws.identitySources ?? []) lines.push(`    identity source ${s.id}: ${s.issuer}`);
    }
  }
  lines.push('', `Try the sign-in flow in a browser: ${url}/`, 'Press Ctrl+C to stop.');
  console.log(lines.join('\n'));
}

/** A served workspace and the table it lives in (the admin CLI addresses it by table name). */
interface LocalWorkspace extends Workspace {
  readonly tableName: string;
}

/** Creates, seeds and wires one workspace; its table name is unique per server so servers sharing a DynamoDB never meet. */
async function openWorkspace(
  ws: LocalWorkspaceConfig,
  ctx: {
    readonly url: string;
    readonly apiId: string;
    readonly client: DynamoDb;
    readonly opts: LocalServerOptions;
    readonly clientKeys: RemoteJwks;
  },
): Promise<LocalWorkspace> {
  const tableName = `local-${ctx.apiId}.${ws.tenantId}.${ws.workspaceId}`;
  await createTable(ctx.client, tableName);
  const { directory, ...stores } = dynamoStores({
    client: ctx.client,
    tableName,
    clientCacheSeconds: CLIENT_CACHE_SECONDS,
  });
  const alg = ctx.opts.signingAlg ?? 'RS256';
  const [signer] = await Promise.all([
    LocalSigner.load({
      file: join(ctx.opts.keyDir ?? DEFAULT_KEY_DIR, `${ws.tenantId}.${ws.workspaceId}.${alg}.pem`),
      alg,
    }),
    seedWorkspace(directory, ws),
  ]);
  return {
    tableName,
    tenantId: ws.tenantId,
    workspaceId: ws.workspaceId,
    issuer: `${ctx.url}/${ws.tenantId}/${ws.workspaceId}`,
    settings: { ...defaultSettings, builtInUsers: ws.builtInUsers ?? true },
    ...(ws.branding && { branding: ws.branding }),
    ...(ws.scopeDescriptions && { scopeDescriptions: ws.scopeDescriptions }),
    ...stores,
    keys: { active: signer, all: [signer] },
    clock: systemClock,
    audit: auditLog(ws.tenantId, ws.workspaceId),
    clientKeys: ctx.clientKeys,
    federation: localFederation(ws),
  };
}

/** The workspace's identity sources, their secrets from the config file; another workspace here may be one. */
function localFederation(ws: LocalWorkspaceConfig): Workspace['federation'] {
  const configured = ws.identitySources ?? [];
  const secrets = new Map(configured.map((s) => [s.id, s.clientSecret]));
  return {
    sources: configured.map(identitySourceSettings),
    upstream: new UpstreamOidc({
      clientSecret: async (id) => {
        const secret = secrets.get(id);
        if (secret === undefined) throw new UpstreamUnavailable(`no secret for source ${id}`);
        return secret;
      },
    }),
  };
}

/**
 * Starts DynamoDB Local (unless given one), creates and seeds a table per workspace, and serves every
 * workspace on `http://localhost:<port>` through the same handler modules the Lambdas run.
 */
export async function startLocalServer(opts: LocalServerOptions = {}): Promise<LocalServer> {
  let serve: RequestListener | undefined;
  const http = createServer((req, res) => {
    if (serve) return serve(req, res);
    res
      .writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' })
      .end(JSON.stringify({ message: 'Starting' }));
  });
  // The port comes first: the issuers and the demo callback URL carry it.
  const port = await listen(http, opts.port ?? 3000);
  const url = `http://localhost:${port}`;
  const config = opts.config ?? demoConfig(url);
  const apiId = randomBytes(5).toString('hex');

  let dynamo: DynamoDbLocal | undefined;
  let client: DynamoDb | undefined;
  let closeGateway = () => {};
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      closeGateway();
      await close(http);
      await dynamo?.stop();
    })());

  try {
    if (opts.dynamoEndpoint === undefined) dynamo = await startDynamoDbLocal();
    client = DynamoDb.create({
      endpoint: opts.dynamoEndpoint ?? dynamo!.endpoint,
      region: 'local',
      credentials: LOCAL_CREDENTIALS,
    });
    const ctx = { url, apiId, client, opts, clientKeys: new RemoteJwks() };
    const workspaces = await Promise.all(config.workspaces.map((ws) => openWorkspace(ws, ctx)));

    const targets = config.workspaces.map((ws, i) =>
      demoTarget(ws, workspaces[i]!.issuer, `${url}${DEMO_CALLBACK_PATH}`),
    );
    const rp = new DemoRelyingParty(
      url,
      targets.filter((t) => t !== undefined),
    );
    const home = homePage({
      workspaces: workspaces.map((ws, i) => {
        const target = targets[i];
        const { clients, users } = config.workspaces[i]!;
        const card = {
          tenantId: ws.tenantId,
          workspaceId: ws.workspaceId,
          issuer: ws.issuer,
          clients,
          usernames: users.map((u) => u.username),
          sources: ws.federation.sources,
        };
        return target ? { ...card, tryUrl: startUrl(target) } : card;
      }),
      ...(opts.config
        ? {}
        : { demo: { users: DEMO_USERS, upstreamUsers: DEMO_UPSTREAM_USERS, backendSecret: DEMO_BACKEND_SECRET } }),
    });
    const gateway = createGateway(
      apiId,
      workspaces,
      {
        'GET /': async () => home,
        [`GET ${DEMO_START_PATH}`]: rp.start,
        [`GET ${DEMO_CALLBACK_PATH}`]: rp.callback,
      },
      // A terminal is read by a person: one short line per request, not the Lambda's metrics document.
      opts.quiet ? noRequestLog : textRequestLog,
    );
    closeGateway = gateway.close;
    serve = (req, res) => void gateway(req, res);

    const issuers = workspaces.map((ws) => ws.issuer);
    if (!opts.quiet)
      printBanner(url, config, workspaces, (opts.dynamoEndpoint ?? dynamo?.endpoint)!, opts.config === undefined);
    return { url, issuers, workspaces, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

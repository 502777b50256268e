// The workspace the benchmark scripts run the real endpoints on: a fresh table on the DynamoDB client they pass (the
// Lambdas' client, on DynamoDB Local) and a throwaway RS256 key file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDb } from '../lambdas/adapters/aws/dynamodb.js';
import { dynamoStores } from '../lambdas/adapters/dynamodb/stores.js';
import { createTable } from '../lambdas/adapters/dynamodb/table.js';
import { RemoteJwks } from '../lambdas/adapters/http/remote-jwks.js';
import { LocalSigner } from '../lambdas/adapters/key-file/signer.js';
import type { Signer } from '../lambdas/core/ports/signing.js';
import type { Directory } from '../lambdas/core/ports/storage.js';
import { defaultSettings, NO_FEDERATION, type Workspace, type WorkspaceSettings } from '../lambdas/core/workspace.js';

export interface BenchWorkspaceOptions {
  /** @default defaultSettings */
  readonly settings?: WorkspaceSettings;
  /** Wraps the key file's signer, e.g. to count or time its signatures. */
  readonly signer?: (local: Signer) => Signer;
}

/** Workspace `name`/main on table `name`, audit off, the system clock; `directory` seeds its clients and users. */
export async function benchWorkspace(
  name: string,
  client: DynamoDb,
  opts: BenchWorkspaceOptions = {},
): Promise<{ ws: Workspace; directory: Directory }> {
  await createTable(client, name);
  const { directory, ...stores } = dynamoStores({ client, tableName: name });
  const local = await LocalSigner.load({ file: join(mkdtempSync(join(tmpdir(), `${name}-`)), 'rs256.pem') });
  const signer = opts.signer?.(local) ?? local;
  const ws: Workspace = {
    tenantId: name,
    workspaceId: 'main',
    issuer: `https://auth.example.com/${name}/main`,
    settings: opts.settings ?? defaultSettings,
    ...stores,
    keys: { active: signer, all: [signer] },
    clock: { now: () => Date.now() },
    audit: { emit: () => {} },
    clientKeys: new RemoteJwks(),
    federation: NO_FEDERATION,
  };
  return { ws, directory };
}

// Writes a workspace's configured clients and users into its store, keeping only hashes of secrets and passwords.
import { hashClientSecret, hashPassword, sha256 } from '../core/crypto.js';
import type { Directory } from '../core/ports/storage.js';
import type { LocalWorkspaceConfig } from './config.js';

/**
 * A name-based UUID (version 8, from SHA-256) of the user within its workspace: every start of the
 * in-memory local server gives a user the same `sub`, so apps that store it keep working across restarts.
 */
function localSub(ws: Pick<LocalWorkspaceConfig, 'tenantId' | 'workspaceId'>, username: string): string {
  const bytes = sha256(`${ws.tenantId}/${ws.workspaceId}/${username}`).subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function seedWorkspace(directory: Directory, ws: LocalWorkspaceConfig): Promise<void> {
  await Promise.all([
    ...ws.clients.map(({ clientSecret, ...registration }) =>
      directory.putClient(
        clientSecret === undefined ? registration : { ...registration, secretHash: hashClientSecret(clientSecret) },
      ),
    ),
    ...ws.users.map(async ({ username, password, claims }) =>
      directory.createUser({
        sub: localSub(ws, username),
        username,
        passwordHash: await hashPassword(password),
        claims,
      }),
    ),
  ]);
}

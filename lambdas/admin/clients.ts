// Client administration of one workspace: list the clients, rotate a confidential client's secret.
import type { Writable } from 'node:stream';
import { hashClientSecret, randomValues } from '../core/crypto.js';
import type { ClientRecord, ClientRegistration } from '../core/model.js';
import type { Stores } from '../core/ports/storage.js';
import { usesClientSecret } from '../core/registration/registration.js';
import { AdminError } from './errors.js';
import { printList } from './output.js';

/** Where a new secret goes: the one place it is ever written in plain text. */
export interface SecretDestination {
  /** Called before the hash is stored: if it fails nothing has changed, and a stored hash always has a delivered secret. */
  deliver(clientId: string, secret: string): Promise<void>;
}

/** What `clients list` shows of a client: its registration, and whether it has a secret, never the hash. */
export type ClientView = ClientRegistration & { readonly hasSecret: boolean };

/** Prints the secret alone on a line, so `$(authz-admin … clients rotate-secret ID)` captures exactly the secret. */
export const printSecret = (out: Writable): SecretDestination => ({
  deliver: async (_clientId, secret) => {
    out.write(`${secret}\n`);
  },
});

/**
 * Replaces the client's secret with a new random one, delivered to `destination`; the table keeps only
 * its hash. The client store must not cache clients, or the record rewritten could be stale.
 */
export async function rotateClientSecret(
  stores: Pick<Stores, 'clients' | 'directory'>,
  clientId: string,
  destination: SecretDestination,
): Promise<void> {
  const client = await stores.clients.get(clientId);
  if (!client) throw new AdminError(`There is no client "${clientId}" in this workspace.`);
  if (!usesClientSecret(client.tokenEndpointAuthMethod)) {
    throw new AdminError(
      `Client "${clientId}" authenticates with "${client.tokenEndpointAuthMethod}", so it has no secret to rotate.`,
    );
  }
  const secret = randomValues.clientSecret();
  await destination.deliver(clientId, secret);
  try {
    await stores.directory.putClient({ ...client, secretHash: hashClientSecret(secret) });
  } catch (err) {
    throw new AdminError(
      `The new secret was delivered but its hash could not be stored, so the old secret still works and the new one does not; run the command again. ${String(err)}`,
    );
  }
}

export async function listClients(stores: Pick<Stores, 'directory'>): Promise<ClientView[]> {
  const clients = await stores.directory.listClients();
  return clients.map(viewOf).sort((a, b) => a.clientId.localeCompare(b.clientId));
}

export function printClients(clients: readonly ClientView[], out: Writable, json: boolean): void {
  printList(out, clients, json, ['CLIENT_ID', 'AUTH_METHOD', 'SECRET', 'NAME'], (c) => [
    c.clientId,
    c.tokenEndpointAuthMethod,
    c.hasSecret ? 'set' : '-',
    c.clientName ?? '',
  ]);
}

function viewOf({ secretHash, ...registration }: ClientRecord): ClientView {
  return { ...registration, hasSecret: secretHash !== undefined };
}

// Runs one parsed admin action against a workspace's store: results on stdout, prompts and notes on stderr.
import type { Writable } from 'node:stream';
import type { Stores } from '../core/ports/storage.js';
import { type SecretDestination, listClients, printClients, printSecret, rotateClientSecret } from './clients.js';
import type { Action } from './command-line.js';
import { type PasswordInput, readNewPassword } from './password.js';
import { addUser, listUsers, printUsers, setDisabled, setPassword, signOutUser } from './users.js';

/** The storage ports the admin actions use. */
export type AdminStores = Pick<Stores, 'clients' | 'directory' | 'users'>;

export interface AdminIo {
  readonly stdin: PasswordInput;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface AdminContext {
  /** Stores whose client store does not cache (`clientCacheSeconds: 0`): rotation rewrites the record it reads. */
  readonly stores: AdminStores;
  readonly io: AdminIo;
  /** The Secrets Manager secret to write a rotated secret into; only called when `--secret-arn` was given. */
  readonly secretsManager: (secretArn: string) => SecretDestination;
}

export async function runAction(action: Action, { stores, io, secretsManager }: AdminContext): Promise<void> {
  const { stdout, stderr } = io;
  switch (action.kind) {
    case 'users add': {
      const user = await addUser(stores, action, () => readNewPassword(io, action.passwordStdin));
      stdout.write(`Added user ${user.username} with sub ${user.sub}.\n`);
      return;
    }
    case 'users set-password':
      await setPassword(stores, action.username, () => readNewPassword(io, action.passwordStdin));
      stdout.write(`Changed the password of ${action.username} and signed them out everywhere.\n`);
      return;
    case 'users disable':
    case 'users enable': {
      const disabled = action.kind === 'users disable';
      await setDisabled(stores, action.username, disabled);
      stdout.write(`${disabled ? 'Disabled' : 'Enabled'} user ${action.username} and signed them out everywhere.\n`);
      return;
    }
    case 'users sign-out':
      await signOutUser(stores, action.username);
      stdout.write(
        `Signed out user ${action.username}: sessions, refresh tokens and access tokens from earlier sign-ins no longer count.\n`,
      );
      return;
    case 'users list':
      printUsers(await listUsers(stores), stdout, action.json);
      return;
    case 'clients list':
      printClients(await listClients(stores), stdout, action.json);
      return;
    case 'clients rotate-secret': {
      const { clientId, secretArn } = action;
      if (secretArn === undefined) {
        await rotateClientSecret(stores, clientId, printSecret(stdout));
        // Said every time: forgetting it breaks the client silently, at some later deployment.
        stderr.write(
          `Rotated the secret of ${clientId}: the new one went to stdout and is kept nowhere else.\n` +
            'If the client is declared in CDK, rotate with --secret-arn instead: deployments restore its secret from Secrets Manager.\n',
        );
      } else {
        await rotateClientSecret(stores, clientId, secretsManager(secretArn));
        stdout.write(`Rotated the secret of ${clientId} into ${secretArn}.\n`);
      }
      stderr.write(
        'Servers that cached the client keep its old secret until their cache expires (60 seconds by default).\n',
      );
      return;
    }
  }
}

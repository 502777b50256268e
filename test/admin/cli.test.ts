// The shipped `authz-admin` bin (the self-contained bundle the test setup builds) as a subprocess against DynamoDB Local:
// proof that parsing, wiring and exit codes hold together.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, inject, it } from 'vitest';
import { hashClientSecret, verifyClientSecret, verifyPassword } from '../../lambdas/core/crypto.js';
import { type TestStore, newTestStore } from '../support/dynamo.js';

const BIN = fileURLToPath(new URL('../../dist/bin/authz-admin.mjs', import.meta.url));
const PASSWORD = 'correct horse battery';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let t: TestStore;
let workspace: string[];
beforeAll(async () => {
  t = await newTestStore({ clientCacheSeconds: 0 });
  workspace = ['--endpoint', inject('dynamoDbEndpoint'), '--table', t.tableName];
  await t.stores.directory.putClient({
    clientId: 'backend',
    tokenEndpointAuthMethod: 'client_secret_post',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: [],
    secretHash: hashClientSecret('old secret'),
  });
});

it('adds a user with a piped password, lists it without a hash, and rotates a secret to stdout', async () => {
  const added = await cli(
    [...workspace, 'users', 'add', 'alice', '--claims', '{"name":"Alice"}', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  expect(added).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(/^Added user alice with sub [0-9a-f-]{36}\.\n$/),
  });
  const alice = await t.stores.users.findByUsername('alice');
  expect(alice?.claims).toEqual({ name: 'Alice' });
  expect(await verifyPassword(PASSWORD, alice?.passwordHash)).toBe(true);

  const [listed, rotated] = await Promise.all([
    cli([...workspace, 'users', 'list']),
    cli([...workspace, 'clients', 'rotate-secret', 'backend']),
  ]);

  expect(listed).toMatchObject({ code: 0, stdout: expect.stringContaining(`alice     ${alice?.sub}  enabled`) });
  expect(listed.stdout).not.toContain('scrypt');
  expect(rotated.code).toBe(0);
  const secret = rotated.stdout.trimEnd();
  expect(verifyClientSecret(secret, (await t.stores.clients.get('backend'))?.secretHash)).toBe(true);
  expect(rotated.stderr).not.toContain(secret);
});

it('signs a user out everywhere as of now', async () => {
  await t.stores.directory.createUser({ sub: 'sub-carol', username: 'carol', passwordHash: 'x', claims: {} });
  const start = Math.floor(Date.now() / 1000);

  const signedOut = await cli([...workspace, 'users', 'sign-out', 'carol']);

  expect(signedOut).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Signed out user carol: /) });
  expect((await t.stores.users.findByUsername('carol'))?.signedOutAt).toBeGreaterThanOrEqual(start);
});

it('exits non-zero with one clear line for an unknown client, a missing table and a bad command line', async () => {
  const [unknownClient, missingTable, badArgs] = await Promise.all([
    cli([...workspace, 'clients', 'rotate-secret', 'nope']),
    cli([...workspace.slice(0, -1), 'no-such-table', 'users', 'list']),
    cli([...workspace, 'users', 'add', 'bob', '--password', 'hunter2hunter2']),
  ]);

  expect(unknownClient).toMatchObject({ code: 1, stdout: '' });
  expect(unknownClient.stderr).toContain('authz-admin: There is no client "nope" in this workspace.\n');
  expect(missingTable).toMatchObject({ code: 1, stdout: '' });
  expect(missingTable.stderr).toContain(
    `authz-admin: There is no table no-such-table at ${inject('dynamoDbEndpoint')}.\n`,
  );
  expect(badArgs).toMatchObject({ code: 2, stdout: '' });
  expect(badArgs.stderr).toMatch(/Passwords are never taken as arguments/);
  expect(badArgs.stderr).not.toContain('hunter2');
});

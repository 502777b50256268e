// Parsing the admin command line: addressing, commands, their options, and refusals that never echo a password.
import { expect, it } from 'vitest';
import { parseCommandLine } from '../../lambdas/admin/command-line.js';
import { UsageError } from '../../lambdas/admin/errors.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:backend-AbCdEf';

function actionOf(argv: readonly string[]) {
  const commandLine = parseCommandLine(argv);
  if (commandLine.help) throw new Error('expected a command, got --help');
  return commandLine.action;
}

it('parses each command with its workspace', () => {
  expect(
    parseCommandLine(['--table', 't', 'users', 'add', 'alice', '--claims', '{"name":"Alice"}', '--password-stdin']),
  ).toEqual({
    target: { kind: 'table', tableName: 't' },
    action: { kind: 'users add', username: 'alice', claims: { name: 'Alice' }, passwordStdin: true },
  });
  expect(
    parseCommandLine([
      '--stack',
      'Auth',
      '--workspace',
      'acme/main',
      '--region',
      'eu-west-1',
      'users',
      'set-password',
      'alice',
    ]),
  ).toEqual({
    target: { kind: 'stack', stackName: 'Auth', workspace: 'acme/main', region: 'eu-west-1' },
    action: { kind: 'users set-password', username: 'alice', passwordStdin: false },
  });
  const local = ['--endpoint', 'http://127.0.0.1:8000', '--table', 't'];
  expect(actionOf([...local, 'users', 'disable', 'alice'])).toEqual({ kind: 'users disable', username: 'alice' });
  expect(actionOf([...local, 'users', 'enable', 'alice'])).toEqual({ kind: 'users enable', username: 'alice' });
  expect(actionOf([...local, 'users', 'sign-out', 'alice'])).toEqual({ kind: 'users sign-out', username: 'alice' });
  expect(parseCommandLine([...local, 'users', 'list', '--json'])).toEqual({
    target: { kind: 'table', tableName: 't', endpoint: 'http://127.0.0.1:8000' },
    action: { kind: 'users list', json: true },
  });
  expect(actionOf([...local, 'clients', 'list'])).toEqual({ kind: 'clients list', json: false });
  expect(actionOf([...local, 'clients', 'rotate-secret', 'web', '--secret-arn', ARN])).toEqual({
    kind: 'clients rotate-secret',
    clientId: 'web',
    secretArn: ARN,
  });
  expect(parseCommandLine(['users', '--help'])).toEqual({ help: true });
  expect(parseCommandLine(['-h'])).toEqual({ help: true });
});

it('refuses a password given as an argument without repeating it', () => {
  for (const argv of [
    ['--table', 't', 'users', 'add', 'alice', '--password', 'hunter2hunter2'],
    ['--table', 't', 'users', 'set-password', 'alice', '--password=hunter2hunter2'],
    ['--table', 't', 'users', 'add', 'alice', 'hunter2hunter2'],
  ]) {
    const refusal = (() => {
      try {
        parseCommandLine(argv);
      } catch (err) {
        return err;
      }
    })();
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as Error).message).toMatch(/passwords are never taken as arguments/i);
    expect((refusal as Error).message).not.toContain('hunter2');
  }
});

it.each([
  [[], 'No command given.'],
  [['--table', 't', 'users'], 'Unknown command "users".'],
  [['--table', 't', 'users', 'remove', 'alice'], 'Unknown command "users remove".'],
  [['--table', 't', 'constructor'], 'Unknown command "constructor".'],
  [['users', 'list'], 'Name the workspace with either --table NAME or --stack STACK.'],
  [['--table', 't', '--stack', 's', 'users', 'list'], 'Name the workspace with either --table NAME or --stack STACK.'],
  [['--table', 't', '--workspace', 'acme/main', 'users', 'list'], /--workspace picks a workspace of a --stack/],
  [
    ['--stack', 's', '--endpoint', 'http://127.0.0.1:8000', 'users', 'list'],
    /--endpoint is for a --table on DynamoDB Local/,
  ],
  [
    ['--table', 't', '--endpoint', 'localhost:8000', 'users', 'list'],
    '--endpoint must be an http(s) URL, not "localhost:8000".',
  ],
  [['--stack', 's', '--workspace', 'Acme', 'users', 'list'], /--workspace must be TENANT\/WORKSPACE/],
  [['--stack', 's', '--workspace', `acme/${'w'.repeat(64)}`, 'users', 'list'], /--workspace must be TENANT\/WORKSPACE/],
  [['--stack', 's', '--workspace', 'acme/main/eu', 'users', 'list'], /--workspace must be TENANT\/WORKSPACE/],
  [['--table', 't', 'users', 'list', 'extra'], 'users list takes no arguments.'],
  [['--table', 't', 'users', 'disable'], 'users disable takes exactly one USERNAME.'],
  [['--table', 't', 'users', 'list', '--password-stdin'], '--password-stdin does not apply to users list.'],
  [
    ['--table', 't', 'users', 'set-password', 'alice', '--claims', '{}'],
    '--claims does not apply to users set-password.',
  ],
  [['--table', 't', 'users', 'add', 'alice', '--claims', '{name'], /^--claims is not valid JSON/],
  [['--table', 't', 'users', 'add', 'alice', '--claims', '["name"]'], '--claims must be a JSON object.'],
  [
    ['--table', 't', 'clients', 'rotate-secret', 'web', '--secret-arn', 'backend'],
    /--secret-arn must be a Secrets Manager secret ARN/,
  ],
  [['--table', 't', 'clients', 'list', '--verbose'], /Unknown option '--verbose'/],
  [['--table'], /argument missing/],
])('refuses %j', (argv, message) => {
  expect(() => parseCommandLine(argv)).toThrow(UsageError);
  expect(() => parseCommandLine(argv)).toThrow(message);
});

// The admin CLI's command line: its help text, and parsing argv into the workspace to address and the action to run.
import { parseArgs } from 'node:util';
import { idProblem } from '../core/registration/registration.js';
import { UsageError } from './errors.js';
import { MIN_PASSWORD_LENGTH } from './password.js';
import { regionOfSecret } from './secrets-manager.js';
import { TABLE_OUTPUT_KEY_PART } from './stack-outputs.js';
import type { Claims } from './users.js';

export const USAGE = `Usage: authz-admin WORKSPACE COMMAND [OPTIONS]

Manages the users and clients of one workspace of cdk-authorization-server, deployed or local.
AWS credentials and region come from the environment as for the AWS CLI (AWS_PROFILE, AWS_REGION, ...).

WORKSPACE, one of:
  --table NAME [--region REGION]     the workspace's DynamoDB table
  --table NAME --endpoint URL        a table on DynamoDB Local (no AWS credentials needed)
  --stack STACK [--workspace TENANT/WORKSPACE] [--region REGION]
                                     the table named in the stack's outputs, see "Stack outputs"

COMMAND:
  users add USERNAME [--claims JSON] [--password-stdin]
  users set-password USERNAME [--password-stdin]
  users disable USERNAME
  users enable USERNAME
  users sign-out USERNAME
  users list [--json]
  clients list [--json]
  clients rotate-secret CLIENT_ID [--secret-arn ARN]
  --help, -h                         this text

Passwords are typed twice at a prompt that does not echo them, or piped in with --password-stdin
(all of stdin, less one final line break); never given as arguments. At least ${MIN_PASSWORD_LENGTH} characters.
--claims is a JSON object of OIDC claims, e.g. '{"name":"Alice","email":"alice@example.com"}';
the server assigns "sub". Lists never show password hashes or secret hashes.

users sign-out ends what the user's earlier sign-ins gave: browser sessions no longer count at
/oauth2/authorize, refresh tokens stop working, access tokens introspect as inactive and userinfo
refuses them (an API that only checks signatures accepts an access token until it expires).
users set-password, users disable and users enable sign the user out the same way.

clients rotate-secret makes a new 256-bit secret and stores only its hash. The secret is printed once,
alone on stdout; with --secret-arn it is written into that Secrets Manager secret instead (a JSON object
{"clientId": ..., "clientSecret": ...}, as the construct creates them) and not printed. Clients declared
in CDK need --secret-arn (their secrets' ARNs are among the stack's outputs): deployments re-read their
secrets from Secrets Manager, which would undo a rotation kept only on your screen. Running servers
cache clients (60 seconds by default): until then they may still accept the old secret and refuse the new one.

Stack outputs: each workspace in the stack has an output whose key contains "${TABLE_OUTPUT_KEY_PART}", whose
value is the name of the workspace's table, and whose description names the workspace as
TENANT/WORKSPACE, e.g. "DynamoDB table of workspace acme/main". --workspace picks one of several;
with one workspace in the stack it may be left out.

Exit status: 0 done; 1 refused or failed (unknown user or client, taken username, AWS error);
2 wrong command line; 130 cancelled at the prompt.
`;

export type Target =
  | { readonly kind: 'table'; readonly tableName: string; readonly endpoint?: string; readonly region?: string }
  | { readonly kind: 'stack'; readonly stackName: string; readonly workspace?: string; readonly region?: string };

export type Action =
  | { readonly kind: 'users add'; readonly username: string; readonly claims: Claims; readonly passwordStdin: boolean }
  | { readonly kind: 'users set-password'; readonly username: string; readonly passwordStdin: boolean }
  | { readonly kind: 'users disable' | 'users enable' | 'users sign-out'; readonly username: string }
  | { readonly kind: 'users list' | 'clients list'; readonly json: boolean }
  | { readonly kind: 'clients rotate-secret'; readonly clientId: string; readonly secretArn?: string };

export type CommandLine =
  { readonly help: true } | { readonly help?: false; readonly target: Target; readonly action: Action };

const OPTIONS = {
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  stack: { type: 'string' },
  workspace: { type: 'string' },
  claims: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
  'secret-arn': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse>['values'];
const COMMAND_OPTIONS = ['claims', 'password-stdin', 'json', 'secret-arn'] as const;
type CommandOption = (typeof COMMAND_OPTIONS)[number];

/** Each command's operand, if it takes one, and the options that apply to it alone. */
const COMMANDS = {
  'users add': { operand: 'USERNAME', options: ['claims', 'password-stdin'] },
  'users set-password': { operand: 'USERNAME', options: ['password-stdin'] },
  'users disable': { operand: 'USERNAME', options: [] },
  'users enable': { operand: 'USERNAME', options: [] },
  'users sign-out': { operand: 'USERNAME', options: [] },
  'users list': { options: ['json'] },
  'clients list': { options: ['json'] },
  'clients rotate-secret': { operand: 'CLIENT_ID', options: ['secret-arn'] },
} as const satisfies Record<Action['kind'], { readonly operand?: string; readonly options: readonly CommandOption[] }>;

/** A tenant id, a slash, a workspace id: both by the rule the construct validates them with. */
function isWorkspace(value: string): boolean {
  const ids = value.split('/');
  return ids.length === 2 && ids.every((id) => idProblem(id) === undefined);
}

const parse = (argv: readonly string[]) =>
  parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });

export function parseCommandLine(argv: readonly string[]): CommandLine {
  // Named so the refusal can say why, rather than just "unknown option".
  if (argv.some((arg) => arg === '--password' || arg.startsWith('--password='))) {
    throw new UsageError(
      'Passwords are never taken as arguments, which shell history and process lists keep: type it at the prompt or pipe it in with --password-stdin.',
    );
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };

  const [group, verb, ...operands] = positionals;
  const kind = [group, verb].filter((word) => word !== undefined).join(' ');
  if (!Object.hasOwn(COMMANDS, kind)) throw new UsageError(kind ? `Unknown command "${kind}".` : 'No command given.');
  const command: { readonly operand?: string; readonly options: readonly CommandOption[] } =
    COMMANDS[kind as Action['kind']];

  // Operands are never echoed: a stray one may be a password typed in the wrong place.
  if (operands.length !== (command.operand ? 1 : 0)) {
    const takesPassword = command.options.includes('password-stdin');
    throw new UsageError(
      command.operand
        ? `${kind} takes exactly one ${command.operand}${takesPassword ? '; passwords are never taken as arguments' : ''}.`
        : `${kind} takes no arguments.`,
    );
  }
  const misplaced = COMMAND_OPTIONS.find((option) => values[option] !== undefined && !command.options.includes(option));
  if (misplaced) throw new UsageError(`--${misplaced} does not apply to ${kind}.`);

  return { target: targetOf(values), action: actionOf(kind as Action['kind'], operands[0] ?? '', values) };
}

function targetOf(values: Values): Target {
  const { table, stack, endpoint, region, workspace } = values;
  if (!table === !stack) throw new UsageError('Name the workspace with either --table NAME or --stack STACK.');
  if (table) {
    if (workspace !== undefined)
      throw new UsageError('--workspace picks a workspace of a --stack; a --table is one workspace already.');
    if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
      throw new UsageError(`--endpoint must be an http(s) URL, not "${endpoint}".`);
    return { kind: 'table', tableName: table, endpoint, region };
  }
  if (endpoint !== undefined)
    throw new UsageError('--endpoint is for a --table on DynamoDB Local; a --stack is read from AWS.');
  if (workspace !== undefined && !isWorkspace(workspace)) {
    throw new UsageError(
      `--workspace must be TENANT/WORKSPACE, two ids of lower-case letters, digits and hyphens, not "${workspace}".`,
    );
  }
  return { kind: 'stack', stackName: stack as string, workspace, region };
}

function actionOf(kind: Action['kind'], operand: string, values: Values): Action {
  const passwordStdin = values['password-stdin'] === true;
  const json = values.json === true;
  switch (kind) {
    case 'users add':
      return { kind, username: operand, claims: claimsOf(values.claims), passwordStdin };
    case 'users set-password':
      return { kind, username: operand, passwordStdin };
    case 'users disable':
    case 'users enable':
    case 'users sign-out':
      return { kind, username: operand };
    case 'users list':
    case 'clients list':
      return { kind, json };
    case 'clients rotate-secret': {
      const secretArn = values['secret-arn'];
      // Checked here so a malformed ARN is refused before anything happens.
      if (secretArn !== undefined) regionOfSecret(secretArn);
      return { kind, clientId: operand, secretArn };
    }
  }
}

function claimsOf(text: string | undefined): Claims {
  if (text === undefined) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--claims is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw new UsageError('--claims must be a JSON object.');
  return claims as Claims;
}

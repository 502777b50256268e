// `npm start`: the local authorization server, configured by --config / AUTHZ_CONFIG, PORT and --signing-alg / AUTHZ_SIGNING_ALG.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../lambdas/local/config.js';
import { type LocalServer, PortInUseError, startLocalServer } from '../lambdas/local/server.js';
import { SIGNING_ALGS, type SigningAlg } from '../lambdas/core/ports/signing.js';

const USAGE = `Usage: npm start [-- [--config FILE] [--signing-alg ALG]]

  --config FILE        workspaces, clients and users (SPEC §4 format); also AUTHZ_CONFIG.
                       Without one, the demo workspace demo/main is served.
  --signing-alg ALG    RS256 (default), PS256 or ES256; also AUTHZ_SIGNING_ALG.
  PORT                 port on localhost (default 3000; 0 picks a free one).`;

class UsageError extends Error {}

function parseCommandLine() {
  try {
    return parseArgs({
      options: { config: { type: 'string' }, 'signing-alg': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

function options() {
  const values = parseCommandLine();
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(process.env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`PORT must be a port number, not "${process.env.PORT}".`);
  const signingAlg = (values['signing-alg'] ?? process.env.AUTHZ_SIGNING_ALG ?? 'RS256') as SigningAlg;
  if (!(SIGNING_ALGS as readonly string[]).includes(signingAlg))
    throw new UsageError(`The signing algorithm must be one of ${SIGNING_ALGS.join(', ')}.`);
  return { port, signingAlg, configFile: values.config ?? process.env.AUTHZ_CONFIG };
}

let server: LocalServer | undefined;
let exiting: Promise<never> | undefined;

/**
 * Stops DynamoDB Local with the server, whatever ends the process. Once only: Ctrl+C reaches this
 * process both from the terminal and relayed by tsx, and the second signal must not cut the first short.
 */
function shutdown(code: number): Promise<never> {
  exiting ??= (async () => {
    await server?.stop();
    process.exit(code);
  })();
  return exiting;
}

async function main(): Promise<void> {
  const { port, signingAlg, configFile } = options();
  const config = configFile === undefined ? undefined : await loadConfig(configFile);
  server = await startLocalServer({ port, signingAlg, ...(config ? { config } : {}) });
}

/** Mistakes in how the server was started: the message says it all, a stack trace would only bury it. */
const isUserError = (err: unknown): err is Error =>
  err instanceof UsageError || err instanceof ConfigError || err instanceof PortInUseError;

function fail(err: unknown): void {
  console.error(isUserError(err) ? err.message : err);
  void shutdown(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main().catch(fail);

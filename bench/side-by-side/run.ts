// The side-by-side benchmark: our server and node-oidc-provider each in a child process, driven in turn by the same
// load generator (this process) through the same phases, with CPU time read per process before and after each phase.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { hashPassword, verifyPassword } from '../../lambdas/core/crypto.js';
import { Client, type Jar, type Timings, type TokenResponse } from './load.js';
import { PASSWORD, type ReadyMessage, type ServerOptions } from './setup.js';

export type SideName = 'ours' | 'peer';
export type PhaseName = 'full' | 'sso' | 'client_credentials' | 'refresh';
export const PHASES: readonly PhaseName[] = ['full', 'sso', 'client_credentials', 'refresh'];

export interface BenchOptions {
  /** Concurrent simulated users (one worker each). @default 8 */
  readonly concurrency?: number;
  /** Measured seconds per phase and side. @default 12 */
  readonly phaseSeconds?: number;
  /** Unmeasured seconds per phase and side before it. @default 2 */
  readonly warmupSeconds?: number;
  /** The phases to run. @default all four */
  readonly phases?: readonly PhaseName[];
  /** A running DynamoDB Local for our server; with `dynamoPid` its CPU is measured too. */
  readonly dynamoEndpoint: string;
  readonly dynamoPid?: number;
  /** Cores the ceiling is computed for. @default 2 */
  readonly cores?: number;
  /** scrypt verifications timed for `passwordHashCpuMs`. @default 10 */
  readonly passwordHashRuns?: number;
  /** Write a V8 CPU profile of each server process here (see bench/profile.ts). */
  readonly profileDir?: string;
}

export interface CpuPerFlow {
  /** The server process (ours: the handlers in Node; peer: node-oidc-provider). */
  readonly server: number;
  /** DynamoDB Local's JVM (only our server uses it; the peer keeps its state in memory). */
  readonly dynamodb: number | null;
  readonly loadGenerator: number;
}

export interface PhaseResult {
  readonly flows: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly flowsPerSecond: number;
  /** CPU ms per flow; `null` where /proc is not available. */
  readonly cpuMsPerFlow: CpuPerFlow | null;
  /** Flows per second the cores could sustain at this CPU cost: cores × 1000 ms ÷ CPU ms per flow. */
  readonly ceilingFlowsPerSecond: { readonly serverAndDatabase: number; readonly allProcesses: number } | null;
  /** Latency per step in ms. */
  readonly steps: Record<string, { readonly count: number; readonly p50: number; readonly p99: number }>;
}

export interface Report {
  readonly date: string;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly loadavgBefore: number[];
    readonly loadavgAfter: number[];
  };
  readonly options: {
    readonly concurrency: number;
    readonly phaseSeconds: number;
    readonly warmupSeconds: number;
    readonly cores: number;
  };
  readonly peer: { readonly name: 'oidc-provider'; readonly version: string };
  /** What each side issues, to show the work is alike (both sign JWT access tokens and ID tokens with RS256). */
  readonly tokens: Record<SideName, { readonly codeFlow: TokenShape; readonly clientCredentials: TokenShape }>;
  readonly phases: Partial<
    Record<PhaseName, { readonly ours: PhaseResult; readonly peer: PhaseResult; readonly ratio: Ratios }>
  >;
  /** CPU ms of one scrypt verification (the password check of a full flow), measured in this process. */
  readonly passwordHashCpuMs: number;
  /** Extra sections other benchmark scripts contribute (e.g. bundle sizes and init times). */
  readonly extras: Record<string, unknown>;
}

/** ours ÷ peer. */
export interface Ratios {
  readonly flowsPerSecond: number | null;
  readonly serverCpuPerFlow: number | null;
  /** Our server plus DynamoDB Local against the peer alone: the whole server side of each. */
  readonly serverSideCpuPerFlow: number | null;
}

export interface TokenShape {
  /** `jwt RS256` or `opaque`, for each token in the response. */
  readonly accessToken: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
}

/** The format of a token, never its value. */
function formatOf(token: string): string {
  const [header, , signature] = token.split('.');
  if (signature === undefined) return 'opaque';
  try {
    return `jwt ${(JSON.parse(Buffer.from(header!, 'base64url').toString()) as { alg: string }).alg}`;
  } catch {
    return 'opaque';
  }
}

function tokenShape(t: TokenResponse): TokenShape {
  return {
    accessToken: formatOf(t.access_token),
    ...(t.id_token !== undefined && { idToken: formatOf(t.id_token) }),
    ...(t.refresh_token !== undefined && { refreshToken: formatOf(t.refresh_token) }),
  };
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in ms, from /proc (Linux); `null` elsewhere. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface ServerProcess {
  readonly child: ChildProcess;
  readonly issuer: string;
}

/** Forks a server module under tsx and waits for its ready message. */
function startServer(module: string, opts: ServerOptions, profileDir?: string): Promise<ServerProcess> {
  const child = fork(here(module), {
    execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    env: { ...process.env, BENCH_SERVER: JSON.stringify(opts), AUTHZ_LOG: 'off' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${module} did not start within 120 s:\n${stderr}`));
    }, 120_000);
    child.once('message', (m: ReadyMessage) => {
      clearTimeout(timer);
      resolve({ child, issuer: m.issuer });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${module} exited (${code}) before it was ready:\n${stderr}`));
    });
  });
}

function stopServer(server: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
    server.child.once('exit', () => (clearTimeout(timer), resolve()));
    server.child.disconnect();
  });
}

/** Per-worker state a side keeps across phases: a browser with a session, a refresh token. */
interface Side {
  readonly name: SideName;
  readonly server: ServerProcess;
  readonly client: Client;
  readonly jars: Jar[];
  readonly refreshTokens: string[];
}

function flowOf(side: Side, phase: PhaseName): (worker: number) => Promise<unknown> {
  const c = side.client;
  switch (phase) {
    case 'full':
      return async (w) => (side.jars[w] = (await c.fullFlow(w)).jar);
    case 'sso':
      return (w) => c.ssoFlow(side.jars[w]!, w);
    case 'client_credentials':
      return () => c.clientCredentials();
    case 'refresh':
      return async (w) => (side.refreshTokens[w] = await c.refresh(side.refreshTokens[w]!));
  }
}

/** Every worker runs flows back to back until the time is up. */
async function drive(concurrency: number, seconds: number, flow: (worker: number) => Promise<unknown>) {
  const end = performance.now() + seconds * 1000;
  let flows = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < end) {
        try {
          await flow(w);
          flows++;
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { flows, errors, ...(firstError !== undefined && { firstError }) };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

function stepStats(timings: Timings): PhaseResult['steps'] {
  const out: Record<string, { count: number; p50: number; p99: number }> = {};
  for (const [step, list] of timings) {
    const sorted = [...list].sort((a, b) => a - b);
    out[step] = { count: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
  }
  return out;
}

async function measure(
  side: Side,
  phase: PhaseName,
  o: Required<Omit<BenchOptions, 'dynamoPid' | 'profileDir'>> & BenchOptions,
) {
  if (phase === 'refresh') {
    // Obtained just before the phase: the peer's in-memory adapter is an LRU cache (1,000 entries), which the
    // earlier phases' flows would have evicted an older grant from.
    const tokens = await Promise.all(side.jars.map((_, w) => side.client.offlineGrant(w)));
    side.refreshTokens.splice(0, tokens.length, ...tokens);
  }
  const flow = flowOf(side, phase);
  await drive(o.concurrency, o.warmupSeconds, flow);
  side.client.timings.clear();
  const pid = side.server.child.pid;
  const before = { server: cpuMsOf(pid), db: cpuMsOf(o.dynamoPid), self: selfCpuMs() };
  const started = performance.now();
  const run = await drive(o.concurrency, o.phaseSeconds, flow);
  const seconds = (performance.now() - started) / 1000;
  const after = { server: cpuMsOf(pid), db: cpuMsOf(o.dynamoPid), self: selfCpuMs() };
  const per = (a: number | null, b: number | null) =>
    a === null || b === null || run.flows === 0 ? null : round((b - a) / run.flows);
  const server = per(before.server, after.server);
  const dynamodb = per(before.db, after.db);
  const loadGenerator = per(before.self, after.self);
  const cpu = server === null || loadGenerator === null ? null : { server, dynamodb, loadGenerator };
  const budget = o.cores * 1000;
  return {
    ...run,
    seconds: round(seconds),
    flowsPerSecond: round(run.flows / seconds, 1),
    cpuMsPerFlow: cpu,
    ceilingFlowsPerSecond: cpu && {
      serverAndDatabase: round(budget / (cpu.server + (cpu.dynamodb ?? 0)), 1),
      allProcesses: round(budget / (cpu.server + (cpu.dynamodb ?? 0) + cpu.loadGenerator), 1),
    },
    steps: stepStats(side.client.timings),
  } satisfies PhaseResult;
}

/** CPU ms of one scrypt verification with the parameters and function our consent endpoint (and the peer's login) use. */
async function passwordHashCpuMs(runs: number): Promise<number> {
  const stored = await hashPassword(PASSWORD);
  const before = selfCpuMs();
  for (let i = 0; i < runs; i++) await verifyPassword(PASSWORD, stored);
  return round((selfCpuMs() - before) / runs);
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : round(a / b);

export async function runSideBySide(
  opts: BenchOptions,
  onPhase?: (phase: PhaseName, r: NonNullable<Report['phases'][PhaseName]>) => void,
): Promise<Report> {
  const o = {
    concurrency: 8,
    phaseSeconds: 12,
    warmupSeconds: 2,
    phases: PHASES,
    cores: 2,
    passwordHashRuns: 10,
    ...opts,
  };
  const loadavgBefore = loadavg().map((n) => round(n));
  const serverOpts = { users: o.concurrency };
  const started = await Promise.allSettled([
    startServer('./ours.ts', { ...serverOpts, dynamoEndpoint: o.dynamoEndpoint }, o.profileDir),
    startServer('./peer.ts', serverOpts, o.profileDir),
  ]);
  const [ours, peer] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  if (!ours || !peer) {
    await Promise.all([ours, peer].map((s) => s && stopServer(s)));
    throw started.find((s) => s.status === 'rejected')!.reason;
  }
  const sides: Side[] = [];
  const tokens: Partial<Report['tokens']> = {};
  try {
    for (const [name, server] of [
      ['ours', ours],
      ['peer', peer],
    ] as const) {
      const client = await Client.discover(server.issuer, o.concurrency);
      const workers = Array.from({ length: o.concurrency }, (_, w) => w);
      // Every worker gets a session (for SSO) before any phase runs; the refresh phase gets its own grants.
      const full = await Promise.all(workers.map((w) => client.fullFlow(w)));
      sides.push({ name, server, client, jars: full.map((f) => f.jar), refreshTokens: [] });
      tokens[name] = {
        codeFlow: tokenShape(full[0]!.tokens),
        clientCredentials: tokenShape({ access_token: await client.clientCredentials() }),
      };
    }
    const phases: Report['phases'] = {};
    for (const phase of o.phases) {
      const [a, b] = sides as [Side, Side];
      const r = { ours: await measure(a, phase, o), peer: await measure(b, phase, o) };
      const cpu = (x: PhaseResult) => x.cpuMsPerFlow;
      const result = {
        ...r,
        ratio: {
          flowsPerSecond: ratio(r.ours.flowsPerSecond, r.peer.flowsPerSecond),
          serverCpuPerFlow: ratio(cpu(r.ours)?.server, cpu(r.peer)?.server),
          serverSideCpuPerFlow: ratio(
            cpu(r.ours) && cpu(r.ours)!.server + (cpu(r.ours)!.dynamodb ?? 0),
            cpu(r.peer)?.server,
          ),
        },
      };
      phases[phase] = result;
      onPhase?.(phase, result);
    }
    const peerVersion = (
      JSON.parse(readFileSync(here('../../node_modules/oidc-provider/package.json'), 'utf8')) as { version: string }
    ).version;
    return {
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: cpus().length,
        loadavgBefore,
        loadavgAfter: loadavg().map((n) => round(n)),
      },
      options: {
        concurrency: o.concurrency,
        phaseSeconds: o.phaseSeconds,
        warmupSeconds: o.warmupSeconds,
        cores: o.cores,
      },
      peer: { name: 'oidc-provider', version: peerVersion },
      tokens: tokens as Report['tokens'],
      phases,
      passwordHashCpuMs: await passwordHashCpuMs(o.passwordHashRuns),
      extras: {},
    };
  } finally {
    for (const s of sides) s.client.close();
    await Promise.all([stopServer(ours), stopServer(peer)]);
  }
}

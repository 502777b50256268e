// `npm run bench`: our server and node-oidc-provider side by side (see bench/side-by-side/run.ts), printed and written
// to bench-results/side-by-side.json. Settings by environment: BENCH_CONCURRENCY (8), BENCH_PHASE_SECONDS (12),
// BENCH_WARMUP_SECONDS (2), BENCH_PHASES (full,sso,client_credentials,refresh), BENCH_CORES (2); BENCH_PROFILE=1
// writes a CPU profile of each server to bench-results/profiles/ (summed up by `npm run bench:profile`).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import {
  PHASES,
  type PhaseName,
  type PhaseResult,
  type Report,
  runSideBySide,
  type TokenShape,
} from './side-by-side/run.js';

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const phases = (process.env.BENCH_PHASES?.split(',') ?? PHASES) as PhaseName[];
for (const p of phases) if (!PHASES.includes(p)) throw new Error(`BENCH_PHASES: unknown phase ${p}`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fmt = (n: number | null | undefined, w = 8) => (n == null ? '-' : String(n)).padStart(w);

function printPhase(phase: PhaseName, r: NonNullable<Report['phases'][PhaseName]>): void {
  const line = (name: string, x: PhaseResult) =>
    `  ${name.padEnd(5)} ${fmt(x.flowsPerSecond)} flows/s  ${fmt(x.flows, 6)} flows ${fmt(x.errors, 3)} errors   ` +
    `CPU ms/flow: server ${fmt(x.cpuMsPerFlow?.server, 6)}  DynamoDB Local ${fmt(x.cpuMsPerFlow?.dynamodb, 6)}  ` +
    `load gen ${fmt(x.cpuMsPerFlow?.loadGenerator, 5)}   ceiling ${fmt(x.ceilingFlowsPerSecond?.serverAndDatabase, 6)} flows/s ` +
    `(${fmt(x.ceilingFlowsPerSecond?.allProcesses, 0)} with the load generator)`;
  console.log(`\n${phase}`);
  console.log(line('ours', r.ours));
  console.log(line('peer', r.peer));
  console.log(
    `  ours/peer: flows/s ${r.ratio.flowsPerSecond}×, server CPU per flow ${r.ratio.serverCpuPerFlow ?? '-'}× ` +
      `(${r.ratio.serverSideCpuPerFlow ?? '-'}× counting DynamoDB Local)`,
  );
  for (const [name, x] of [
    ['ours', r.ours],
    ['peer', r.peer],
  ] as const) {
    for (const [step, s] of Object.entries(x.steps))
      console.log(`    ${name} ${step.padEnd(28)} p50 ${fmt(s.p50, 7)} ms  p99 ${fmt(s.p99, 7)} ms  (${s.count})`);
    if (x.firstError) console.log(`    ${name} first error: ${x.firstError}`);
  }
}

/**
 * Sections other benchmark scripts add to the report: a module `bench/<name>.ts` exporting `benchReport()` is run
 * after the phases and its result stored under `extras.<name>` (bench/bundles.ts: bundle sizes and init times).
 */
const EXTRAS = ['bundles'];

const options = {
  concurrency: env('BENCH_CONCURRENCY', 8),
  phaseSeconds: env('BENCH_PHASE_SECONDS', 12),
  warmupSeconds: env('BENCH_WARMUP_SECONDS', 2),
  cores: env('BENCH_CORES', 2),
  phases,
  ...(process.env.BENCH_PROFILE === '1' && { profileDir: join(root, 'bench-results', 'profiles') }),
};
console.log(
  `Side by side: our server (local server, DynamoDB Local) and node-oidc-provider (in-memory adapter), ` +
    `${options.concurrency} concurrent users, ${options.warmupSeconds} s warm-up + ${options.phaseSeconds} s per phase and side.`,
);
const db = await startDynamoDbLocal();
let report: Report;
try {
  report = await runSideBySide(
    { ...options, dynamoEndpoint: db.endpoint, ...(db.pid && { dynamoPid: db.pid }) },
    printPhase,
  );
} finally {
  await db.stop();
}
for (const name of EXTRAS) {
  const file = join(root, 'bench', `${name}.ts`);
  if (!existsSync(file)) continue;
  const mod = (await import(pathToFileURL(file).href)) as { benchReport?: () => Promise<unknown> };
  if (mod.benchReport) report.extras[name] = await mod.benchReport();
}
for (const [side, t] of Object.entries(report.tokens)) {
  const shape = (x: TokenShape) =>
    Object.entries(x)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  console.log(`${side} issues: code flow ${shape(t.codeFlow)}; client_credentials ${shape(t.clientCredentials)}`);
}
const full = report.phases.full;
console.log(
  `\nscrypt password check: ${report.passwordHashCpuMs} ms CPU` +
    (full?.ours.cpuMsPerFlow
      ? `, ${Math.round((100 * report.passwordHashCpuMs) / full.ours.cpuMsPerFlow.server)}% of our server's CPU per full flow` +
        ` (${Math.round((100 * report.passwordHashCpuMs) / full.peer.cpuMsPerFlow!.server)}% of the peer's)`
      : ''),
);
console.log(
  `load average before/after: ${report.machine.loadavgBefore.join(' ')} / ${report.machine.loadavgAfter.join(' ')}`,
);
const out = join(root, 'bench-results', 'side-by-side.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`report: ${out}`);

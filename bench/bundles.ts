// Benchmark: size and cold-start init of each Lambda bundle under assets/ (built by `npm run build:bundles`). Init is
// the import of the bundle in a fresh Node process, as the Lambda runtime's init phase does it: wall time, and the
// process's CPU time (steadier on a busy machine). `tsx bench/bundles.ts [runs]`; `measureBundles` for other scripts.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ASSETS_DIR } from '../scripts/build.js';
import { BUNDLE_FILE } from '../lib/private/lambda-assets.js';

export interface BundleFigures {
  readonly bytes: number;
  /** Median over the runs, milliseconds. */
  readonly initMs: number;
  readonly initCpuMs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

/** Imports `file` in a fresh Node process, with no AWS configuration but a region; returns its wall and CPU time. */
function importOnce(file: string): { wall: number; cpu: number } {
  const script = [
    'const cpu = process.cpuUsage(); const started = performance.now();',
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const wall = performance.now() - started; const used = process.cpuUsage(cpu);',
    "if (typeof m.handler !== 'function') throw new Error('no handler export');",
    'console.log(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { wall: number; cpu: number };
}

/** Size and median init of every bundle in `dir` (one directory per bundle), by bundle name. */
export function measureBundles(dir: string = ASSETS_DIR, runs = 5): Record<string, BundleFigures> {
  const figures: Record<string, BundleFigures> = {};
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, BUNDLE_FILE);
    if (!existsSync(file)) continue;
    const samples = Array.from({ length: runs }, () => importOnce(file));
    figures[name] = {
      bytes: statSync(file).size,
      initMs: median(samples.map((s) => s.wall)),
      initCpuMs: median(samples.map((s) => s.cpu)),
    };
  }
  return figures;
}

/** The bundles' figures for the side-by-side report (`npm run bench`, under `extras.bundles`), printed as well. */
export function benchReport(): Record<string, BundleFigures> {
  const figures = measureBundles(ASSETS_DIR, 5);
  for (const [name, f] of Object.entries(figures))
    console.log(
      `  bundle ${name.padEnd(12)} ${f.bytes} bytes, init ${f.initMs.toFixed(1)} ms (CPU ${f.initCpuMs.toFixed(1)} ms)`,
    );
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 5);
  console.log(`bundle         bytes   KiB   init ms (median of ${runs})   init CPU ms`);
  for (const [name, f] of Object.entries(measureBundles(ASSETS_DIR, runs))) {
    console.log(
      `${name.padEnd(12)} ${String(f.bytes).padStart(7)} ${(f.bytes / 1024).toFixed(0).padStart(5)}   ${f.initMs.toFixed(1).padStart(7)}                ${f.initCpuMs.toFixed(1).padStart(7)}`,
    );
  }
}

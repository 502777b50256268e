// Builds what the npm package ships, from this checkout and its lock file (never at a consumer's synth):
//   assets/<name>/index.mjs    one Lambda bundle per handler module of the manifest, and the client sync's
//   dist/bin/authz-admin.mjs   the admin CLI, one self-contained file
//   dist/lib/index.js          the construct library as CommonJS, declarations beside it (dist/**/*.d.ts)
// `tsx scripts/build.ts` builds all of it (npm run build, prepack); `--bundles` only the Lambda and CLI
// bundles (the test setup and cdk.json run that); `--quiet` prints nothing but errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { NODE_RUNTIME } from '../lib/private/bundled-function.js';
import { BUNDLE_FILE, lambdaAssetEntries } from '../lib/private/lambda-assets.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ASSETS_DIR = join(ROOT, 'assets');
export const DIST_DIR = join(ROOT, 'dist');
export const CLI_BUNDLE = join(DIST_DIR, 'bin', 'authz-admin.mjs');
export const LIBRARY_ENTRY = join(DIST_DIR, 'lib', 'index.js');

/**
 * ESM output cannot `require`, but some CommonJS dependencies bundled into it still call it for
 * Node built-ins; this gives them one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** esbuild's target for the Lambda runtime the construct deploys: `nodejs24.x` → `node24`. */
const LAMBDA_TARGET = NODE_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1');
/** The oldest Node.js the package supports (package.json `engines`): where the CLI and the library run. */
const CONSUMER_TARGET = 'node20';

/** What a bundle shares: everything inlined (the AWS SDK and jose too), ESM, minified, tree-shaken. */
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // `module` first: the ES module builds of the SDK and jose are what tree-shaking can prune.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  write: false,
  absWorkingDir: ROOT,
  logLevel: 'warning',
} as const satisfies esbuild.BuildOptions;

/** Replaces a file only when its bytes change (a new inode, atomically), so unchanged bundles keep their mtime. */
function writeIfChanged(file: string, contents: Uint8Array): void {
  if (existsSync(file) && Buffer.from(contents).equals(readFileSync(file))) return;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

async function bundle(options: esbuild.BuildOptions & { outfile: string }): Promise<number> {
  const result = await esbuild.build({ ...BUNDLE_OPTIONS, ...options });
  const [output] = result.outputFiles ?? [];
  if (!output) throw new Error(`esbuild wrote nothing for ${options.outfile}`);
  // A path of this checkout inside a bundle would make its hash differ from one machine to the next.
  if (Buffer.from(output.contents).includes(ROOT)) throw new Error(`${options.outfile} contains the path ${ROOT}`);
  writeIfChanged(options.outfile, output.contents);
  return output.contents.byteLength;
}

/** Bytes per bundle, by path relative to the repository root. */
export type BuildReport = Record<string, number>;

/**
 * What only the Lambda bundles get: the Lambda runtime's target. They carry no AWS SDK (lambdas/adapters/aws has
 * the lean clients they use); the CLI bundles the SDK for its provider chain (profiles, SSO) and CloudFormation.
 */
const LAMBDA_OPTIONS = {
  target: LAMBDA_TARGET,
  banner: { js: ESM_REQUIRE_BANNER },
} as const satisfies esbuild.BuildOptions;

/** The Lambda bundles (assets/) and the CLI bundle; asset directories no entry builds any more are removed. */
export async function buildBundles(): Promise<BuildReport> {
  const entries = Object.entries(lambdaAssetEntries());
  const jobs: [string, Promise<number>][] = entries.map(([name, entry]) => {
    const outfile = join(ASSETS_DIR, name, BUNDLE_FILE);
    return [outfile, bundle({ ...LAMBDA_OPTIONS, entryPoints: [entry], outfile })];
  });
  jobs.push([
    CLI_BUNDLE,
    bundle({
      entryPoints: ['bin/admin.ts'],
      outfile: CLI_BUNDLE,
      target: CONSUMER_TARGET,
      banner: { js: `#!/usr/bin/env node\n${ESM_REQUIRE_BANNER}` },
    }),
  ]);
  const report: BuildReport = {};
  for (const [file, size] of jobs) report[relative(ROOT, file)] = await size;
  const wanted = new Set(entries.map(([name]) => name));
  for (const dir of existsSync(ASSETS_DIR) ? readdirSync(ASSETS_DIR) : []) {
    if (!wanted.has(dir)) rmSync(join(ASSETS_DIR, dir), { recursive: true, force: true });
  }
  return report;
}

/** Whether a module specifier names a peer dependency (aws-cdk-lib, constructs) or a Node built-in. */
const isPeerOrBuiltin = (spec: string): boolean =>
  /^(aws-cdk-lib(\/.*)?|constructs|node:.+)$/.test(spec) || builtinModules.includes(spec);

/** `from '…'`, `import('…')` and bare `import '…'`: every module specifier of a declaration file. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)['"]([^'"]+)['"]/gm;

/** Module specifiers of a declaration file that are neither relative nor a peer dependency. */
export function foreignImportsOf(declarations: string): string[] {
  const specs = [...declarations.matchAll(SPECIFIER)].map((m) => m[1] as string);
  return specs.filter((spec) => !spec.startsWith('.') && !isPeerOrBuiltin(spec));
}

/** A declaration file and every declaration file it reaches through relative imports. */
function declarationClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(join(dirname(file), spec).replace(/\.js$/, '.d.ts'));
    }
  };
  visit(entry);
  return [...seen];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/**
 * The construct library as one CommonJS file that requires nothing but aws-cdk-lib, constructs and Node
 * built-ins (the contracts it shares with the handlers are inlined), and its declarations from tsc.
 * dist/package.json makes dist/ CommonJS for Node and TypeScript alike, inside a `"type": "module"` package.
 */
export async function buildLibrary(): Promise<BuildReport> {
  const result = await esbuild.build({
    entryPoints: ['lib/index.ts'],
    outfile: LIBRARY_ENTRY,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: CONSUMER_TARGET,
    banner: { js: "'use strict';" },
    metafile: true,
    write: false,
    absWorkingDir: ROOT,
    logLevel: 'warning',
  });
  const required = Object.values(result.metafile.outputs)
    .flatMap((o) => o.imports)
    .map((i) => i.path)
    .filter((spec) => !isPeerOrBuiltin(spec));
  if (required.length > 0) throw new Error(`dist/lib/index.js would require ${required.join(', ')}`);
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild wrote no library');
  writeIfChanged(LIBRARY_ENTRY, output.contents);

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  // tsc declares every module the library's sources reach; only those the public entry's types reach ship.
  const declarations = declarationClosure(join(DIST_DIR, 'lib', 'index.d.ts'));
  for (const file of filesUnder(DIST_DIR)) {
    if (file.endsWith('.d.ts') && !declarations.includes(file)) rmSync(file);
  }
  const foreign = declarations.flatMap((f) =>
    foreignImportsOf(readFileSync(f, 'utf8')).map((spec) => `${relative(ROOT, f)} → ${spec}`),
  );
  if (foreign.length > 0)
    throw new Error(`declarations import more than the peer dependencies:\n${foreign.join('\n')}`);
  writeIfChanged(join(DIST_DIR, 'package.json'), Buffer.from(`${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`));
  return {
    [relative(ROOT, LIBRARY_ENTRY)]: output.contents.byteLength,
    [`dist/**/*.d.ts (${declarations.length} files)`]: declarations.reduce((sum, f) => sum + statSync(f).size, 0),
  };
}

/** Everything the package ships, from clean assets/ and dist/ directories. */
export async function buildAll(): Promise<BuildReport> {
  rmSync(ASSETS_DIR, { recursive: true, force: true });
  rmSync(DIST_DIR, { recursive: true, force: true });
  return { ...(await buildBundles()), ...(await buildLibrary()) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const report = args.includes('--bundles') ? await buildBundles() : await buildAll();
  if (!args.includes('--quiet')) {
    for (const [file, bytes] of Object.entries(report))
      console.log(`${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${file}`);
  }
}

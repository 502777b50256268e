// The npm package as a consumer gets it: `npm pack` (which builds it), installed into two fresh `cdk init` apps kept in
// test/package/fixtures/, each on its own aws-cdk-lib inside the peer range: the current template (tsc + tsx,
// TypeScript 7, jest with @swc/jest) and the older one most existing apps have (ts-node, CommonJS, TypeScript 5.6, jest
// with ts-jest), on the range's floor and with the CLI that aws-cdk-lib release asks for. It installs from the npm
// registry, so it is slow and runs on its own: `npm run test:package` (vitest.package.config.ts), after `npm test` in
// .ci/run.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, FileSystem, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationServer } from '../../lib/index.js';
import {
  BUNDLE_FILE,
  CLIENT_SYNC_ASSET,
  type LambdaAssetName,
  lambdaAssetEntries,
} from '../../lib/private/lambda-assets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'test/package/fixtures');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const assetNames = Object.keys(lambdaAssetEntries()) as LambdaAssetName[];

/** What a consumer's shell has: no AWS credentials or region, no CDK or npm settings of this run, no telemetry. */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(AWS_|CDK_|npm_)/i.test(k) && !['NODE_OPTIONS', 'INIT_CWD', 'VITEST', 'TEST'].includes(k),
    ),
  ),
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CI: 'true',
};

interface Run {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in `cwd` with no input and a time limit; a failure carries its whole output. */
function run(cwd: string, command: string, args: readonly string[], timeoutSeconds = 240): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else {
        const why = signal ? `was killed (${signal}) after ${timeoutSeconds} s at most` : `exited with ${code}`;
        reject(new Error(`${command} ${args.join(' ')} ${why} in ${cwd}:\n${stdout}\n${stderr}`));
      }
    });
  });
}

let work: string;
let tarball: string;
let packed: { filename: string; files: { path: string }[]; size: number; unpackedSize: number; entryCount: number };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'authz-package-'));
  // `npm pack` runs prepack: the build of dist/ and assets/ from this checkout and its lock file.
  const { stdout } = await run(ROOT, 'npm', ['pack', '--json', '--pack-destination', work]);
  // The build's own report comes first; the JSON is the array that starts a line of its own.
  packed = JSON.parse(stdout.slice(stdout.search(/^\[$/m)))[0];
  tarball = join(work, 'cdk-authorization-server.tgz');
  cpSync(join(work, packed.filename), tarball);
  console.info(
    `tarball: ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB ` +
      `unpacked, ${packed.entryCount} files`,
  );
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds the CommonJS library, its declarations, the Lambda bundles and the CLI bundle, and nothing else', () => {
    // GIVEN
    const files = packed.files.map((f) => f.path).sort();

    // THEN
    const unexpected = files.filter(
      (f) =>
        !/^(package\.json|README\.md|LICENSE)$/.test(f) &&
        !/^dist\/(package\.json|lib\/index\.js|bin\/authz-admin\.mjs|.+\.d\.ts)$/.test(f) &&
        !/^assets\/[a-z-]+\/index\.mjs$/.test(f),
    );
    expect(unexpected).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/package.json',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/bin/authz-admin.mjs',
        ...assetNames.map((name) => `assets/${name}/${BUNDLE_FILE}`),
      ]),
    );
    expect(files.filter((f) => f.startsWith('assets/'))).toHaveLength(assetNames.length);
  });

  it('depends on nothing at install: aws-cdk-lib and constructs are peers, the rest is bundled', () => {
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    for (const peer of ['aws-cdk-lib', 'constructs']) expect(manifest.devDependencies[peer]).toMatch(/^\d/);
  });
});

let repositoryKeys: Record<LambdaAssetName, string> | undefined;

/** `<asset hash>.zip`, the S3 key of each bundle in this repository's own synth of a workspace. */
function repositoryCodeKeys(): Record<LambdaAssetName, string> {
  if (repositoryKeys) return repositoryKeys;
  const app = new App({ outdir: join(work, 'repository.out') });
  new AuthorizationServer(new Stack(app, 'Repository'), 'Workspace', { tenantId: 'acme', workspaceId: 'customers' });
  const deployed = Object.values<{ Type: string; Properties: { Code?: { S3Key?: string } } }>(
    app.synth().getStackByName('Repository').template.Resources,
  )
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => r.Properties.Code?.S3Key);
  const keys = {} as Record<LambdaAssetName, string>;
  for (const name of assetNames) keys[name] = `${FileSystem.fingerprint(join(ROOT, 'assets', name))}.zip`;
  // The synth deploys each bundle once, under the hash of its directory.
  for (const name of assetNames)
    expect(
      deployed.filter((key) => key === keys[name]),
      name,
    ).toHaveLength(1);
  repositoryKeys = keys;
  return keys;
}

interface Fixture {
  readonly name: string;
  readonly stack: string;
  /** The aws-cdk-lib version the app pins. */
  readonly awsCdkLib: string;
  /** Whether the app's own dev tooling brings esbuild (tsx does); the library must not. */
  readonly appHasEsbuild: boolean;
}

const fixtures: Fixture[] = [
  { name: 'current-app', stack: 'CurrentAppStack', awsCdkLib: '2.275.0', appHasEsbuild: true },
  { name: 'legacy-app', stack: 'LegacyAppStack', awsCdkLib: '2.269.0', appHasEsbuild: false },
];

describe.each(fixtures)('a `cdk init` app: $name', (fixture) => {
  let app: string;

  beforeAll(async () => {
    app = join(work, fixture.name);
    cpSync(join(FIXTURES, fixture.name), app, { recursive: true });
    const started = Date.now();
    await run(app, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], 420);
    console.info(`${fixture.name}: npm install ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 600_000);

  it("installs exactly one aws-cdk-lib, the app's own, which the library shares as its peer", async () => {
    // WHEN
    const { stdout } = await run(app, 'npm', ['ls', 'aws-cdk-lib', '--all', '--parseable']);
    const installed = [...new Set(stdout.split('\n').filter(Boolean))];

    // THEN
    expect(installed).toEqual([join(app, 'node_modules/aws-cdk-lib')]);
    expect(JSON.parse(readFileSync(join(app, 'node_modules/aws-cdk-lib/package.json'), 'utf8')).version).toBe(
      fixture.awsCdkLib,
    );
  });

  it('installs nothing else for the library: no AWS SDK, jose, tsx or esbuild', () => {
    const installed = (name: string) => existsSync(join(app, 'node_modules', name));
    expect(existsSync(join(app, 'node_modules/cdk-authorization-server/node_modules'))).toBe(false);
    for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/client-kms', 'jose']) expect(installed(name)).toBe(false);
    expect(installed('esbuild')).toBe(fixture.appHasEsbuild);
  });

  it("type-checks with the app's own TypeScript (npm run build)", async () => {
    await run(app, 'npm', ['run', 'build']);
  });

  it("synthesizes with `cdk synth`, the app's cdk.json and feature flags, deploying this repository's bundles byte for byte", async () => {
    // WHEN
    await run(app, 'npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', 'cdk.out']);
    const template = JSON.parse(readFileSync(join(app, 'cdk.out', `${fixture.stack}.template.json`), 'utf8'));

    // THEN: each handler bundle deployed once per workspace, the client sync once per stack, under the same hash
    // as in this repository's synth
    const keys = Object.values<{ Type: string; Properties: { Code?: { S3Key?: string } } }>(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Code?.S3Key);
    const expected = repositoryCodeKeys();
    for (const name of assetNames) {
      expect(
        keys.filter((k) => k === expected[name]),
        name,
      ).toHaveLength(name === CLIENT_SYNC_ASSET ? 1 : 2);
      const staged = join(app, 'cdk.out', `asset.${expected[name].replace(/\.zip$/, '')}`);
      expect(readdirSync(staged)).toEqual([BUNDLE_FILE]);
      expect(
        readFileSync(join(staged, BUNDLE_FILE)).equals(readFileSync(join(ROOT, 'assets', name, BUNDLE_FILE))),
      ).toBe(true);
    }
  });

  it("passes the app's own jest test (Template.fromStack)", async () => {
    const { stdout, stderr } = await run(app, 'npm', ['test']);
    expect(`${stdout}\n${stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
  });

  it('loads from an ES module by the root import, and runs the authz-admin CLI without tsx', async () => {
    const esm = await run(app, process.execPath, [
      '--input-type=module',
      '-e',
      "import { AuthorizationServer, ApiGatewayCloudWatchRole } from 'cdk-authorization-server'; " +
        'console.log(typeof AuthorizationServer, typeof ApiGatewayCloudWatchRole);',
    ]);
    expect(esm.stdout.trim()).toBe('function function');
    const cli = await run(app, 'npx', ['--no-install', 'authz-admin', '--help']);
    expect(cli.stdout).toContain('authz-admin');
  });
});

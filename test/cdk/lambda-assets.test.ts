// Where the construct finds its prebuilt Lambda bundles: assets/ at the package root, in this checkout (ESM sources)
// and in the installed package (dist/lib/index.js, CommonJS), found by the package's own package.json.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerNames } from '../../lambdas/handlers/manifest.js';
import {
  BUNDLE_FILE,
  CLIENT_SYNC_ASSET,
  type LambdaAssetName,
  PACKAGE_NAME,
  lambdaAssetDir,
  lambdaAssetEntries,
  packageRootAbove,
} from '../../lib/private/lambda-assets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

describe('the Lambda bundles', () => {
  it('are one per handler module of the manifest plus the client sync, each built from an entry that exists', () => {
    // WHEN
    const entries = lambdaAssetEntries();

    // THEN
    expect(Object.keys(entries).sort()).toEqual([...handlerNames, CLIENT_SYNC_ASSET].sort());
    for (const entry of Object.values(entries)) expect(existsSync(join(ROOT, entry)), entry).toBe(true);
  });

  it('are found under assets/ at the root of this checkout (built by the test setup)', () => {
    for (const name of Object.keys(lambdaAssetEntries()) as LambdaAssetName[]) {
      expect(lambdaAssetDir(name)).toBe(join(ROOT, 'assets', name));
      expect(existsSync(join(lambdaAssetDir(name), BUNDLE_FILE))).toBe(true);
    }
  });

  it('are found from an ES module (no __dirname) too, as `cdk synth` runs the checkout through tsx', async () => {
    // GIVEN: a script that loads the module as ESM, where only V8's call sites tell where it is
    const dir = mkdtempSync(join(tmpdir(), 'esm-assets-'));
    const script = join(dir, 'find.mts');
    const module = pathToFileURL(join(ROOT, 'lib/private/lambda-assets.ts')).href;
    writeFileSync(script, `import { lambdaAssetDir } from '${module}';\nconsole.log(lambdaAssetDir('token'));\n`);

    // WHEN
    const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), [script], { cwd: dir });
    rmSync(dir, { recursive: true, force: true });

    // THEN
    expect(stdout.trim()).toBe(join(ROOT, 'assets', 'token'));
  });

  it('refuses a bundle that was never built, and says how to build it', () => {
    expect(() => lambdaAssetDir('nonexistent' as LambdaAssetName)).toThrow(/is missing.*npm run build:bundles/);
  });
});

/**
 * Bytes each bundle may weigh (minified, as shipped), and which AWS clients it may carry: a handler module brings the
 * adapters its endpoints use and no others (lambdas/handlers/*.ts). Sizes are deterministic for a lock file; a
 * bundle that grows past its budget fails here. The budget of every handler is 250 KB; the figures below are the
 * bundles' sizes today plus a little room, so growth is a decision (see README, Performance).
 */
const HANDLER_BUDGET = 250_000;
const BUDGETS: Record<LambdaAssetName, { bytes: number; dynamodb: boolean; kms: boolean; secrets: boolean }> = {
  discovery: { bytes: 35_500, dynamodb: false, kms: false, secrets: false },
  jwks: { bytes: 39_000, dynamodb: false, kms: true, secrets: false },
  authorize: { bytes: 112_500, dynamodb: true, kms: true, secrets: false },
  consent: { bytes: 117_500, dynamodb: true, kms: true, secrets: true },
  token: { bytes: 92_000, dynamodb: true, kms: true, secrets: false },
  userinfo: { bytes: 86_000, dynamodb: true, kms: true, secrets: false },
  'client-sync': { bytes: 28_500, dynamodb: true, kms: false, secrets: true },
};

describe('the bundles that ship', () => {
  it.each(Object.entries(BUDGETS))(
    '%s stays within its size budget and carries only its AWS clients',
    (name, budget) => {
      // GIVEN
      const file = join(lambdaAssetDir(name as LambdaAssetName), BUNDLE_FILE);
      const code = readFileSync(file, 'utf8');

      // THEN
      expect(budget.bytes).toBeLessThanOrEqual(HANDLER_BUDGET);
      expect(statSync(file).size).toBeLessThanOrEqual(budget.bytes);
      // The JSON protocol targets of the two services: present exactly in the bundles whose clients send them.
      expect(code.includes('DynamoDB_20120810'), 'DynamoDB client').toBe(budget.dynamodb);
      expect(code.includes('TrentService'), 'KMS client').toBe(budget.kms);
      expect(code.includes('GetSecretValue'), 'Secrets Manager client').toBe(budget.secrets);
    },
  );

  it('import nothing at run time but Node built-ins, and carry no AWS SDK code', () => {
    for (const name of Object.keys(BUDGETS) as LambdaAssetName[]) {
      const code = readFileSync(join(lambdaAssetDir(name), BUNDLE_FILE), 'utf8');
      const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)["']([^"']+)["']/g)].map(
        (m) => m[1],
      );
      expect(
        specifiers.filter((s) => !s!.startsWith('node:')),
        name,
      ).toEqual([]);
      // Strings only the SDK's runtime carries: its user agent and its middleware stack.
      expect(code, name).not.toContain('aws-sdk-js');
      expect(code, name).not.toContain('middlewareStack');
    }
  });

  it('take their credentials from the environment, not a provider chain (no SSO, profile or metadata providers)', () => {
    for (const name of Object.keys(BUDGETS) as LambdaAssetName[]) {
      const code = readFileSync(join(lambdaAssetDir(name), BUNDLE_FILE), 'utf8');
      expect(code, name).not.toContain('sso_start_url');
      expect(code, name).not.toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    }
  });
});

describe('the package root', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'authz-root-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("is this checkout's root from the library's sources", () => {
    expect(packageRootAbove(join(ROOT, 'lib', 'private'))).toBe(ROOT);
  });

  it('is found above dist/lib of an installed package, past the nameless dist/package.json', () => {
    // GIVEN: node_modules/cdk-authorization-server/{package.json, dist/package.json, dist/lib/}
    const installed = join(scratch, 'node_modules', PACKAGE_NAME);
    mkdirSync(join(installed, 'dist', 'lib'), { recursive: true });
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer-app' }));
    writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: PACKAGE_NAME }));
    writeFileSync(join(installed, 'dist', 'package.json'), JSON.stringify({ type: 'commonjs' }));

    // THEN
    expect(packageRootAbove(join(installed, 'dist', 'lib'))).toBe(installed);
  });

  it('is an error outside the package', () => {
    expect(() => packageRootAbove(scratch)).toThrow(`No package.json of ${PACKAGE_NAME} above`);
  });
});

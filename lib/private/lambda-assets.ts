// The Lambda code the construct deploys: bundles built once by scripts/build.ts into the package's assets/ directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HandlerName, handlerNames } from '../../lambdas/handlers/manifest.js';

/** The `name` in package.json: it marks the package root, in the checkout and in an installed package alike. */
export const PACKAGE_NAME = 'cdk-authorization-server';

/** The bundle of the custom resource that writes declared clients into the table. */
export const CLIENT_SYNC_ASSET = 'client-sync';

export type LambdaAssetName = HandlerName | typeof CLIENT_SYNC_ASSET;

/** The one file of every bundle directory; a Lambda handler `index.handler` names its `handler` export. */
export const BUNDLE_FILE = 'index.mjs';

/** Every bundle the package ships, by asset name: the repository path of the entry module it is built from. */
export function lambdaAssetEntries(): Record<LambdaAssetName, string> {
  const entries = {} as Record<LambdaAssetName, string>;
  for (const name of handlerNames) entries[name] = `lambdas/handlers/${name}.ts`;
  entries[CLIENT_SYNC_ASSET] = 'lambdas/custom-resources/client-sync.ts';
  return entries;
}

/**
 * The nearest directory at or above `start` whose package.json is this package's. The library runs from
 * lib/private/ in the checkout (ESM) and from dist/lib/ in the installed package (CommonJS, where dist/ has
 * a package.json of its own without a name), so the root is found, not counted in levels.
 */
export function packageRootAbove(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`No package.json of ${PACKAGE_NAME} above ${start}.`);
  }
}

/**
 * This module's directory, in CommonJS (dist/, a jsii build) and ES modules (the checkout) alike: `import.meta`
 * is a syntax error in CommonJS and ES modules have no `__dirname`, so the latter asks V8 where this code runs.
 */
function moduleDir(): string {
  if (typeof __dirname === 'string') return __dirname;
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, calls) => calls;
    const calls = new Error().stack as unknown as NodeJS.CallSite[];
    const file = calls[0]?.getFileName();
    if (!file) throw new Error('The location of the construct library is unknown.');
    return dirname(file.startsWith('file:') ? fileURLToPath(file) : file);
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

let packageRoot: string | undefined;

/** `<package root>/assets/<name>`, the directory `Code.fromAsset` deploys; refuses one that holds no bundle. */
export function lambdaAssetDir(name: LambdaAssetName): string {
  packageRoot ??= packageRootAbove(moduleDir());
  const dir = join(packageRoot, 'assets', name);
  if (!existsSync(join(dir, BUNDLE_FILE))) {
    throw new Error(
      `The Lambda bundle ${join(dir, BUNDLE_FILE)} is missing: the published package ships it; ` +
        'in a checkout, build the bundles first with `npm run build:bundles` (or `npm run build`).',
    );
  }
  return dir;
}

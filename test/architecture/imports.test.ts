// The import graph runs one way (core ← adapters ← handlers ← local host), and what `cdk synth` loads stays free of the AWS SDK.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Import {
  /** The specifier as written, or for a relative one the repository path it resolves to (`.ts`). */
  readonly target: string;
  /** `import type` / `export type`: erased by the compiler, so nothing is loaded at run time. */
  readonly typeOnly: boolean;
}

const STATIC = /^\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*(?:\/\*[^*]*\*\/\s*)?[`'"]([^`'"]+)[`'"]/g;

/** The imports of a source text written at repository path `file`. */
export function importsOf(file: string, text: string): Import[] {
  const resolveSpec = (spec: string) =>
    spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
  const out: Import[] = [];
  for (const m of text.matchAll(STATIC)) out.push({ target: resolveSpec(m[3]!), typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(BARE)) out.push({ target: resolveSpec(m[1]!), typeOnly: false });
  for (const m of text.matchAll(DYNAMIC)) out.push({ target: resolveSpec(m[1]!), typeOnly: false });
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const graph = new Map<string, Import[]>(
  ['lambdas', 'lib', 'bin'].flatMap(sourceFiles).map((f) => [f, importsOf(f, readFileSync(join(ROOT, f), 'utf8'))]),
);

const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);
const isAwsSdk = (target: string) => target.startsWith('@aws-sdk/') || target.startsWith('@smithy/');

/** Every import from a file under `from` whose target breaks the rule, as `file → target`. */
function violations(from: string, breaks: (target: string) => boolean): string[] {
  return [...graph]
    .filter(([file]) => under(from)(file))
    .flatMap(([file, imports]) => imports.filter((i) => breaks(i.target)).map((i) => `${file} → ${i.target}`));
}

/** The modules a file loads at run time, following value imports (type-only imports load nothing). */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of graph.get(file) ?? []) if (!i.typeOnly) visit(i.target);
  };
  visit(entry);
  return seen;
}

describe('the import parser', () => {
  it('finds value, type-only, bare and dynamic imports and resolves relative ones to repository paths', () => {
    const text = [
      "import { a } from '../core/errors.js';",
      "import type { B } from '@aws-sdk/client-kms';",
      "export { c } from './c.js';",
      "import 'node:http';",
      'const m = await import(/* @vite-ignore */ `../handlers/token.js`);',
    ].join('\n');
    expect(importsOf('lambdas/local/x.ts', text)).toEqual([
      { target: 'lambdas/core/errors.ts', typeOnly: false },
      { target: '@aws-sdk/client-kms', typeOnly: true },
      { target: 'lambdas/local/c.ts', typeOnly: false },
      { target: 'node:http', typeOnly: false },
      { target: 'lambdas/handlers/token.ts', typeOnly: false },
    ]);
  });
});

describe('the import graph', () => {
  it('has read the source tree', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('lambdas/handlers/token.ts')?.map((i) => i.target)).toContain('lambdas/handlers/apigw.ts');
  });

  it('keeps lambdas/core free of the AWS SDK, Lambda types, the HTTP server and every outer layer', () => {
    expect(
      violations(
        'lambdas/core',
        (t) =>
          isAwsSdk(t) ||
          t === 'aws-lambda' ||
          t === 'node:http' ||
          (t.startsWith('lambdas/') && !under('lambdas/core')(t)),
      ),
    ).toEqual([]);
  });

  it('lets nothing under lambdas/adapters import the handlers, the local host or the admin tooling', () => {
    expect(
      violations('lambdas/adapters', (t) =>
        ['handlers', 'local', 'admin', 'custom-resources'].some((d) => under(`lambdas/${d}`)(t)),
      ),
    ).toEqual([]);
  });

  it('lets the handlers import the core and the adapters, never the local host', () => {
    expect(violations('lambdas/handlers', (t) => under('lambdas/local')(t) || under('lambdas/admin')(t))).toEqual([]);
  });

  it('loads no AWS SDK module in any Lambda: the lean clients of lambdas/adapters/aws stand in for it', () => {
    const lambdaEntries = [...graph.keys()].filter(
      (f) => under('lambdas/handlers')(f) || under('lambdas/custom-resources')(f),
    );
    expect(lambdaEntries.length).toBeGreaterThan(5);
    for (const entry of lambdaEntries) expect([...loadedBy(entry)].filter(isAwsSdk), entry).toEqual([]);
    expect([...loadedBy('lambdas/handlers/token.ts')]).toContain('lambdas/adapters/aws/json-client.ts');
  });

  it('loads only the AWS clients a handler module uses: none for discovery, KMS alone for the JWKS', () => {
    const awsWiring = (entry: string) =>
      [...loadedBy(entry)].filter((f) => /^lambdas\/handlers\/lambda-[a-z]+\.ts$/.test(f)).sort();
    expect(awsWiring('lambdas/handlers/discovery.ts')).toEqual([]);
    expect(awsWiring('lambdas/handlers/jwks.ts')).toEqual(['lambdas/handlers/lambda-kms.ts']);
    expect(awsWiring('lambdas/handlers/token.ts')).toEqual([
      'lambdas/handlers/lambda-dynamodb.ts',
      'lambdas/handlers/lambda-kms.ts',
    ]);
    expect(awsWiring('lambdas/handlers/consent.ts')).toEqual([
      'lambdas/handlers/lambda-dynamodb.ts',
      'lambdas/handlers/lambda-kms.ts',
      'lambdas/handlers/lambda-secrets.ts',
    ]);
  });

  it('loads no AWS SDK module when the construct library is loaded (cdk synth)', () => {
    const loaded = [...loadedBy('lib/index.ts')];
    expect(loaded).toContain('lib/authorization-server.ts');
    expect(loaded.filter(isAwsSdk)).toEqual([]);
  });
});

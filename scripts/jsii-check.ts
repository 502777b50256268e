// Compiles the construct library's public surface (lib/index.ts and every type it exports) with jsii, the
// compiler behind the Python, Java, .NET and Go bindings of CDK libraries: a type those languages cannot express
// (a string-literal union, a ReadonlyArray, a class extending Error, …) fails the check. `npm run jsii:check`.
// The jsii project is assembled in a temporary directory, so the package itself stays an ordinary TypeScript one.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The source trees the library's modules reach (lib/ imports the contracts and core checks from lambdas/). */
const SOURCE_DIRS = ['lib', 'lambdas'];

/**
 * Every warning fails the check but these: the binders escape reserved words (aws-cdk-lib's own `namespace`
 * props ship in C#, `type` in Go), and the peer dependencies' lower bounds are a release's pinning, not the API's.
 */
const TOLERATED_WARNINGS = ['reserved-word', 'metadata/missing-dev-dependency'];

/**
 * The `jsii` section a multi-language release would carry: bindings for these targets. The coordinates are the
 * package's names in each ecosystem; only the publishing accounts (PyPI, Maven Central, NuGet) remain to be set up.
 */
export const JSII_TARGETS = {
  python: { distName: 'cdk-authorization-server', module: 'cdk_authorization_server' },
  java: {
    package: 'io.github.cdkauthorizationserver',
    maven: { groupId: 'io.github.cdkauthorizationserver', artifactId: 'cdk-authorization-server' },
  },
  dotnet: { namespace: 'CdkAuthorizationServer', packageId: 'CdkAuthorizationServer' },
  go: { moduleName: 'github.com/cdk-authorization-server/cdk-authorization-server-go' },
};

/**
 * The tsconfig jsii compiles with, valid under jsii's `strict` rule set: CommonJS output (what the jsii runtime
 * loads), ES2022 as the Lambda runtime and Node 20 have it.
 */
const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    lib: ['es2022'],
    module: 'commonjs',
    types: ['node'],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    declaration: true,
    noEmitOnError: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noFallthroughCasesInSwitch: true,
    resolveJsonModule: true,
  },
  files: ['lib/index.ts'],
};

export interface JsiiCheckResult {
  readonly ok: boolean;
  /** jsii's diagnostics (errors and warnings), as it prints them. */
  readonly output: string;
  /** Types in the assembly, when it compiled. */
  readonly types?: number;
}

/** Assembles the temporary jsii project and compiles it; resolves with jsii's verdict, never throws for errors. */
export async function jsiiCheck(): Promise<JsiiCheckResult> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description: string;
    license: string;
    peerDependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const dir = mkdtempSync(join(tmpdir(), 'jsii-check-'));
  try {
    for (const source of SOURCE_DIRS) {
      cpSync(join(ROOT, source), join(dir, source), {
        recursive: true,
        filter: (path) => !path.endsWith('.js') && !path.endsWith('.d.ts'),
      });
    }
    cpSync(join(ROOT, 'README.md'), join(dir, 'README.md'));
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
    const project = {
      name: manifest.name,
      version: manifest.version,
      description: manifest.description,
      license: manifest.license,
      author: { name: manifest.name, organization: false },
      repository: { type: 'git', url: 'https://github.com/cdk-authorization-server/cdk-authorization-server.git' },
      main: 'lib/index.js',
      types: 'lib/index.d.ts',
      peerDependencies: manifest.peerDependencies,
      // jsii reads the assemblies of the peer dependencies from the versions installed here.
      devDependencies: Object.fromEntries(
        Object.keys(manifest.peerDependencies).map((name) => [name, manifest.devDependencies[name] as string]),
      ),
      jsii: { outdir: 'dist', targets: JSII_TARGETS, tsconfig: 'tsconfig.jsii.json', validateTsconfig: 'strict' },
    };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
    writeFileSync(join(dir, 'tsconfig.jsii.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);

    const jsii = createRequire(import.meta.url).resolve('jsii/bin/jsii');
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [jsii, dir, '--fail-on-warnings', ...TOLERATED_WARNINGS.flatMap((w) => ['--silence-warnings', w])],
        { cwd: dir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, JSII_SUPPRESS_UPGRADE_PROMPT: '1' } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, output: `${stdout}${stderr}`.split(dir).join('<project>') });
        },
      );
    });
    if (code !== 0) return { ok: false, output };
    const assembly = JSON.parse(readFileSync(join(dir, '.jsii'), 'utf8')) as { types?: Record<string, unknown> };
    return { ok: true, output, types: Object.keys(assembly.types ?? {}).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const result = await jsiiCheck();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.output.trim()) console.log(result.output.trim());
  if (!result.ok) {
    console.error(`jsii check failed (${seconds} s): the public API is not jsii-compatible.`);
    process.exitCode = 1;
  } else {
    console.log(`jsii check passed: ${result.types} public types (${seconds} s).`);
  }
}

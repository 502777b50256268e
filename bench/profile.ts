// `npm run bench:profile [files…]`: where the servers' CPU goes, from the V8 profiles `BENCH_PROFILE=1 npm run bench`
// writes (bench-results/profiles/*.cpuprofile): self time summed by package or source folder, and the top functions.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * A package (`jose`), a folder of ours (`lambdas/adapters`; the AWS clients apart, `lambdas/adapters/aws`), a Node
 * module, or V8's own entries.
 */
function groupOf(url: string, functionName: string): string {
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(lambdas\/adapters\/aws|lambdas\/[^/]+|bench)\//.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!;
  return url === '' ? `${functionName || '(native)'}` : url;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-results', 'profiles');
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(dir, f));
if (!files.length) {
  console.error(`No profiles in ${dir}: run \`BENCH_PROFILE=1 BENCH_PHASES=sso npm run bench\` first.`);
  process.exit(1);
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|lambdas|bench)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const has = (prefix: string) => [...groups.keys()].some((g) => g.startsWith(prefix));
  // tsx runs its module hooks on a thread of their own, which gets a profile too.
  const side = has('oidc-provider') ? 'peer (node-oidc-provider)' : has('lambdas/') ? 'ours' : 'module loader thread';
  console.log(`\n${side}: ${file}\n  busy ${(busy / 1e6).toFixed(1)} s of CPU; self time by package or folder:`);
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  for (const [g, us] of top(groups, 15)) console.log(`  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${g}`);
  console.log('  top functions:');
  for (const [f, us] of top(functions, 12)) console.log(`  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${f}`);
}

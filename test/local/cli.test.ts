// `npm start` as a newcomer runs it: PORT and --config are honoured, issuers printed, DynamoDB Local stopped with it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TSX = join('node_modules', '.bin', 'tsx');

function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, 'localhost', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

function run(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, ['bin/local.ts', ...args], {
    env: { ...process.env, AUTHZ_LOG: 'off', ...env },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c));
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

async function waitFor(output: () => string, text: string, exited: Promise<unknown>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!output().includes(text)) {
    if (gone || Date.now() > deadline) throw new Error(`"${text}" never appeared:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every process below `pid`, from one `ps` snapshot. */
function descendants(pid: number): Array<{ pid: number; command: string }> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([p, pp, ...command]) => ({ pid: Number(p), ppid: Number(pp), command: command.join(' ') }));
  const found: Array<{ pid: number; command: string }> = [];
  const walk = (parent: number) => {
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push(row);
      walk(row.pid);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('serves the config file on PORT, prints the issuers, and stops DynamoDB Local on SIGTERM', async () => {
    const port = await freePort();
    const { child, output, exited } = run([], { PORT: String(port), AUTHZ_CONFIG: 'examples/local-config.json' });
    try {
      await waitFor(output, 'Press Ctrl+C to stop.', exited);
      expect(output()).toContain(`http://localhost:${port}/acme/main\n`);
      expect(output()).toContain(`http://localhost:${port}/globex/staging\n`);
      expect(output()).not.toContain('Demo workspace');

      const res = await fetch(`http://localhost:${port}/globex/staging/.well-known/openid-configuration`);
      expect((await res.json()).issuer).toBe(`http://localhost:${port}/globex/staging`);

      // the printed admin command reaches the running server's users
      const admin = /admin: +npm run admin -- (.*) users list/.exec(output())![1]!.split(' ');
      const users = execFileSync(TSX, ['bin/admin.ts', ...admin, 'users', 'list'], { encoding: 'utf8' });
      expect(users).toContain('carol');

      const java = descendants(child.pid!).filter((p) => p.command.includes('java'));
      expect(java).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(alive(java[0]!.pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it('takes the config file from --config too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-cli-'));
    try {
      const file = join(dir, 'bad.json');
      await writeFile(file, JSON.stringify({ workspaces: [{ tenantId: 'Acme', workspaceId: 'main' }] }));
      const { output, exited } = run(['--config', file], { PORT: '0' });
      expect(await exited).toBe(1);
      expect(output()).toContain(`Invalid configuration in ${file}:\n  - workspaces[0].tenantId: must be`);
      expect(output()).not.toMatch(/\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a PORT that is not a port number', async () => {
    const { output, exited } = run([], { PORT: 'eighty' });
    expect(await exited).toBe(1);
    expect(output()).toContain('PORT must be a port number, not "eighty".');
  });
});

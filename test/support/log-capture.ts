// Captures what the handlers log during each test of the calling file, with logging switched on.
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Collects every line written to stdout or stderr (where the logs go) and through `console` into `lines`,
 * without printing them, until `restore` is called.
 */
export function captureLines(lines: string[]): { restore(): void } {
  const capture = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line) lines.push(line);
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void capture(args.map(String).join(' '))),
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void capture(args.map(String).join(' '))),
  ];
  return { restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

/**
 * Registers hooks that switch the logs on (at `level`, when given) and collect every line written during a test;
 * the returned array is emptied before each test.
 */
export function captureLogs(level?: 'debug'): string[] {
  const lines: string[] = [];
  let capturing: { restore(): void } | undefined;
  beforeEach(() => {
    vi.stubEnv('AUTHZ_LOG', 'on');
    if (level) vi.stubEnv('AUTHZ_LOG_LEVEL', level);
    lines.length = 0;
    capturing = captureLines(lines);
  });
  afterEach(() => {
    capturing?.restore();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return lines;
}

/** The structured log lines among `lines`, parsed; Node's own warnings, also written to stderr, are plain text. */
export const logRecords = (lines: readonly string[]): Record<string, unknown>[] =>
  lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

// Captures what the handlers log during each test of the calling file, with logging switched on.
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Registers hooks that switch the logs on (at `level`, when given) and collect every console line written
 * during a test; the returned array is emptied before each test.
 */
export function captureLogs(level?: 'debug'): string[] {
  const lines: string[] = [];
  beforeEach(() => {
    vi.stubEnv('AUTHZ_LOG', 'on');
    if (level) vi.stubEnv('AUTHZ_LOG_LEVEL', level);
    lines.length = 0;
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return lines;
}

// In-memory stand-ins for the CLI's stdout, stderr and terminal, for tests that read what a command wrote.
import { PassThrough } from 'node:stream';
import type { PasswordInput } from '../../lambdas/admin/password.js';

/** A writable that keeps everything written to it. */
export function capture(): { readonly stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (chunk: Buffer) => {
    written += chunk.toString();
  });
  return { stream, text: () => written };
}

/** A terminal: keys are typed with `type`, and raw mode is tracked so a test can see it is switched back off. */
export function terminal(): PasswordInput & { raw: boolean; type(keys: string | Buffer): void } {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    raw: false,
    setRawMode(raw: boolean) {
      input.raw = raw;
      return input;
    },
    type(keys: string | Buffer) {
      input.write(keys);
    },
  });
  return input;
}

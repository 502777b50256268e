// Reading a new password: from stdin with --password-stdin, or typed twice at a terminal prompt that echoes nothing.
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { AdminError, UsageError } from '../../lambdas/admin/errors.js';
import { readNewPassword } from '../../lambdas/admin/password.js';
import { capture, terminal } from './streams.js';

const PASSWORD = 'correct horse battery';

it('reads all of stdin, less one final line break', async () => {
  for (const [input, expected] of [
    [`${PASSWORD}\n`, PASSWORD],
    [`${PASSWORD}\r\n`, PASSWORD],
    [PASSWORD, PASSWORD],
    [`${PASSWORD} \n\n`, `${PASSWORD} \n`],
  ]) {
    const stderr = capture();
    expect(await readNewPassword({ stdin: Readable.from([Buffer.from(input!)]), stderr: stderr.stream }, true)).toBe(
      expected,
    );
    expect(stderr.text()).toBe('');
  }
});

it('refuses a password from stdin that is too short or too long', async () => {
  const read = (input: string) => readNewPassword({ stdin: Readable.from([input]), stderr: capture().stream }, true);

  await expect(read('elevenchars\n')).rejects.toThrow(
    new AdminError('The password is too short: it needs at least 12 characters.'),
  );
  await expect(read('')).rejects.toThrow(/too short/);
  // Twelve characters, though more UTF-16 code units and bytes.
  await expect(read('pässwörd🔑🔑🔑🔑')).resolves.toBe('pässwörd🔑🔑🔑🔑');
  await expect(read('x'.repeat(4097))).rejects.toThrow(/too long/);
});

it('prompts twice on a terminal without echoing what is typed, and leaves raw mode', async () => {
  const stdin = terminal();
  const stderr = capture();
  const read = readNewPassword({ stdin, stderr: stderr.stream }, false);

  // Backspace removes the typo, arrow keys add nothing, multi-byte characters survive being split across chunks.
  stdin.type('correct horse batteryy\u007f\u001b[D');
  stdin.type(Buffer.from('é').subarray(0, 1));
  stdin.type(Buffer.from('é').subarray(1));
  stdin.type('\r');
  await new Promise((done) => setImmediate(done));
  expect(stdin.raw).toBe(true);
  stdin.type(`${PASSWORD}é\r`);

  expect(await read).toBe(`${PASSWORD}é`);
  expect(stderr.text()).toBe('New password: \nRepeat the password: \n');
  expect(stdin.raw).toBe(false);
});

it('refuses two different passwords, a short one before asking again, and stops at Ctrl-C', async () => {
  const ask = (keys: string[]) => {
    const stdin = terminal();
    const stderr = capture();
    const read = readNewPassword({ stdin, stderr: stderr.stream }, false);
    const typing = (async () => {
      for (const k of keys) {
        stdin.type(k);
        await new Promise((done) => setImmediate(done));
      }
    })();
    return { read, typing, stdin, stderr };
  };

  await expect(ask([`${PASSWORD}\r`, 'something else entirely\r']).read).rejects.toThrow(
    new AdminError('The two passwords differ.'),
  );

  const short = ask(['short\r']);
  await expect(short.read).rejects.toThrow(/too short/);
  expect(short.stderr.text()).toBe('New password: \n');

  const cancelled = ask(['corr\u0003']);
  await expect(cancelled.read).rejects.toMatchObject({ message: 'Cancelled.', exitCode: 130 });
  expect(cancelled.stdin.raw).toBe(false);
});

it('refuses to prompt when stdin is not a terminal', async () => {
  await expect(readNewPassword({ stdin: Readable.from([PASSWORD]), stderr: capture().stream }, false)).rejects.toThrow(
    new UsageError('There is no terminal to ask for the password on; pipe it in with --password-stdin.'),
  );
});

// Where a new password comes from (a prompt that does not echo, or stdin; never an argument) and what it must be.
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { MAX_PARAM_LENGTH } from '../core/params.js';
import { AdminError, UsageError } from './errors.js';

/** Counted in characters (code points), as a person typing it would count. */
export const MIN_PASSWORD_LENGTH = 12;

/** `process.stdin`, or a stand-in: a terminal has `isTTY` and `setRawMode`, a pipe does not. */
export type PasswordInput = Readable & { readonly isTTY?: boolean; setRawMode?(raw: boolean): unknown };

export interface PasswordIo {
  readonly stdin: PasswordInput;
  /** Prompts go to stderr, so stdout carries only results. */
  readonly stderr: Writable;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = ['\u007f', '\b'];
/** Escape sequences (arrow keys, function keys) are keys pressed, not characters of the password. */
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/g;

export function checkPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new AdminError(`The password is too short: it needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  // The login form refuses longer values, so a longer password could never be used to sign in.
  if (password.length > MAX_PARAM_LENGTH) {
    throw new AdminError(`The password is too long: the sign-in form takes at most ${MAX_PARAM_LENGTH} characters.`);
  }
}

/**
 * Reads a new password and checks it: the whole of stdin with `fromStdin` (less one final line break,
 * which `echo` and here-strings add), otherwise typed twice at a prompt on the terminal.
 */
export async function readNewPassword(io: PasswordIo, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    checkPassword(password);
    return password;
  }
  if (!io.stdin.isTTY || !io.stdin.setRawMode) {
    throw new UsageError('There is no terminal to ask for the password on; pipe it in with --password-stdin.');
  }
  const password = await prompt(io, 'New password: ');
  // Checked before the repetition, so a refused password is not typed twice for nothing.
  checkPassword(password);
  if ((await prompt(io, 'Repeat the password: ')) !== password) throw new AdminError('The two passwords differ.');
  return password;
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** One line typed in raw mode: the terminal echoes nothing, and Ctrl-C arrives as a character instead of a signal. */
function prompt(io: PasswordIo, label: string): Promise<string> {
  const { stdin, stderr } = io;
  const decoder = new StringDecoder('utf8');
  let typed: string[] = [];
  stderr.write(label);
  stdin.setRawMode?.(true);
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      // A paused stdin no longer keeps the process alive once the command is done.
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(typed.join(''));
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const char of text.replace(ESCAPE_SEQUENCE, '')) {
        if (char === '\r' || char === '\n' || char === CTRL_D) return finish();
        if (char === CTRL_C) return finish(new AdminError('Cancelled.', 130));
        if (BACKSPACE.includes(char)) typed = typed.slice(0, -1);
        else if (char >= ' ') typed.push(char);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

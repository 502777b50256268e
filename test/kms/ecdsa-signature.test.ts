// DER → JOSE conversion of ECDSA signatures, including the integer lengths DER varies on.
import { describe, expect, it } from 'vitest';
import { derToJose } from '../../lambdas/adapters/kms/ecdsa-signature.js';

const int = (hex: string) => `02${(hex.length / 2).toString(16).padStart(2, '0')}${hex}`;
const seq = (body: string) => Buffer.from(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`, 'hex');
const joseHex = (der: Buffer) => Buffer.from(derToJose(der)).toString('hex');

const r32 = '7f'.padEnd(64, '1');
const s32 = '6e'.padEnd(64, '2');

describe('derToJose', () => {
  it('concatenates 32-byte r and s', () => {
    expect(joseHex(seq(int(r32) + int(s32)))).toBe(r32 + s32);
  });

  it('drops the 0x00 sign byte of integers with the high bit set', () => {
    // GIVEN
    const r = 'ff'.padEnd(64, '3');
    const s = '80'.padEnd(64, '4');

    // WHEN / THEN
    expect(joseHex(seq(int(`00${r}`) + int(`00${s}`)))).toBe(r + s);
  });

  it('left-pads short integers with zeros', () => {
    // GIVEN: r has 31 significant bytes, s only one
    const r = '01'.padEnd(62, '5');

    // WHEN / THEN
    expect(joseHex(seq(int(r) + int('07')))).toBe(`00${r}${'0'.repeat(62)}07`);
  });

  it('accepts the long length form', () => {
    // GIVEN
    const body = int(r32) + int(s32);
    const der = Buffer.from(`3081${(body.length / 2).toString(16)}${body}`, 'hex');

    // WHEN / THEN
    expect(joseHex(der)).toBe(r32 + s32);
  });

  it.each([
    ['not a sequence', Buffer.from('0400', 'hex')],
    ['a truncated sequence', seq(int(r32) + int(s32)).subarray(0, 40)],
    ['an integer wider than the curve', seq(int(`01${r32}`) + int(s32))],
    ['trailing bytes', seq(int(r32) + int(s32) + '0500')],
    ['an empty integer', seq('0200' + int(s32))],
  ])('rejects %s', (_name, der) => {
    expect(() => derToJose(der)).toThrow();
  });
});

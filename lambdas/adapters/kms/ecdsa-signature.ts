// Converts the DER-encoded ECDSA signatures KMS returns into the JOSE `r||s` form (RFC 7518 §3.4).

/** Reads one DER length field at `at`; returns the length and where its content starts. */
function readLength(der: Uint8Array, at: number): { length: number; start: number } {
  const first = der[at];
  if (first === undefined) throw new Error('Truncated DER signature.');
  if (first < 0x80) return { length: first, start: at + 1 };
  // Long form: P-256 signatures never need more than one length byte, but other encoders may use it.
  const bytes = first & 0x7f;
  if (bytes === 0 || bytes > 2 || at + 1 + bytes > der.length) throw new Error('Unsupported DER length.');
  let length = 0;
  for (let i = 0; i < bytes; i++) length = (length << 8) | (der[at + 1 + i] as number);
  return { length, start: at + 1 + bytes };
}

/** Reads an INTEGER and returns it left-padded to `size` bytes, dropping DER's sign-padding zeros. */
function readInteger(der: Uint8Array, at: number, size: number): { value: Uint8Array; end: number } {
  if (der[at] !== 0x02) throw new Error('Expected a DER INTEGER.');
  const { length, start } = readLength(der, at + 1);
  const end = start + length;
  if (length === 0 || end > der.length) throw new Error('Malformed DER INTEGER.');
  let first = start;
  while (first < end - 1 && der[first] === 0) first++;
  const digits = der.subarray(first, end);
  if (digits.length > size) throw new Error('DER INTEGER is larger than the curve order.');
  const value = new Uint8Array(size);
  // Integers shorter than the curve size (about 1 in 256 signatures) are right-aligned, i.e. zero-padded.
  value.set(digits, size - digits.length);
  return { value, end };
}

/** `SEQUENCE { r INTEGER, s INTEGER }` → `r||s`, each `size` bytes (32 for P-256). */
export function derToJose(der: Uint8Array, size = 32): Uint8Array {
  if (der[0] !== 0x30) throw new Error('Expected a DER SEQUENCE.');
  const { length, start } = readLength(der, 1);
  if (start + length !== der.length) throw new Error('DER SEQUENCE length does not match the signature.');
  const r = readInteger(der, start, size);
  const s = readInteger(der, r.end, size);
  if (s.end !== der.length) throw new Error('Trailing bytes after the DER signature.');
  const out = new Uint8Array(size * 2);
  out.set(r.value, 0);
  out.set(s.value, size);
  return out;
}

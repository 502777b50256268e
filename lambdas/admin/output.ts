// Plain-text tables for the list commands: one line per row, columns padded to line up in a terminal.
import type { Writable } from 'node:stream';

export function printTable(out: Writable, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...rows]) {
    out.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
  }
}

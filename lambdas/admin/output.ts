// What the list commands print: JSON for scripts, or a plain-text table with columns padded to line up in a terminal.
import type { Writable } from 'node:stream';

function printTable(out: Writable, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...rows]) {
    out.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

/** A list command's output: the items themselves as JSON, or one table row per item. */
export function printList<T>(
  out: Writable,
  items: readonly T[],
  json: boolean,
  header: readonly string[],
  row: (item: T) => readonly string[],
): void {
  if (json) out.write(`${JSON.stringify(items, null, 2)}\n`);
  else printTable(out, header, items.map(row));
}

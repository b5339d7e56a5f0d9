/** Where a command writes: what it reports (stdout) and what goes wrong (stderr). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The process's own streams, a line at a time. */
export const processOutput: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

/**
 * Rows as a plain-text table under a header, columns two spaces apart (the last one unpadded, so that a
 * long value such as a DKIM key stays whole on its line and copies as it is).
 */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A time for a person reading a table: ISO 8601 to the second, or `-`. */
export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

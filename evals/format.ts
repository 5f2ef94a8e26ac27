import type { Ratio } from './metrics.ts';

export function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

export function ratioText(r: Ratio): string {
  return `${pct(r.value)} (${r.num}/${r.den})`;
}

/** Whole milliseconds, but one decimal below 100 ms where rounding would hide real differences. */
export function ms(value: number | null): string {
  if (value === null) return 'n/a';
  return `${Math.abs(value) < 100 ? value.toFixed(1) : Math.round(value)} ms`;
}

/** A monospace table for the terminal: columns padded to their widest cell, first column left-aligned. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

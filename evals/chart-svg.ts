export interface Bar {
  label: string;
  /** 0–1, or null when the metric was not measured. */
  value: number | null;
  higherIsBetter: boolean;
}

const LABEL_WIDTH = 260;
const PLOT_WIDTH = 420;
const VALUE_WIDTH = 80;
const ROW_HEIGHT = 30;
const BAR_HEIGHT = 18;
const TOP = 56;
const BOTTOM = 34;
const WIDTH = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

function gridline(percent: number, plotBottom: number): string {
  const x = LABEL_WIDTH + (PLOT_WIDTH * percent) / 100;
  return [
    `<line x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${plotBottom}" stroke="#d9d9d9" stroke-width="1"/>`,
    `<text x="${x}" y="${plotBottom + 18}" text-anchor="middle" fill="#555">${percent}%</text>`,
  ].join('');
}

function barRow(bar: Bar, index: number): string {
  const y = TOP + index * ROW_HEIGHT;
  const textY = y + ROW_HEIGHT / 2 + 4;
  const label = bar.higherIsBetter ? bar.label : `${bar.label} (lower is better)`;
  const parts = [
    `<text x="${LABEL_WIDTH - 10}" y="${textY}" text-anchor="end" fill="#222">${escapeXml(label)}</text>`,
  ];
  if (bar.value === null) {
    parts.push(`<text x="${LABEL_WIDTH + 6}" y="${textY}" fill="#888">not measured</text>`);
    return parts.join('');
  }
  const width = PLOT_WIDTH * clamp01(bar.value);
  const color = bar.higherIsBetter ? '#2f6db5' : '#c8662a';
  const barY = y + (ROW_HEIGHT - BAR_HEIGHT) / 2;
  parts.push(
    // A pale track keeps a 0% bar visible as "measured, zero" rather than missing.
    `<rect x="${LABEL_WIDTH}" y="${barY}" width="${PLOT_WIDTH}" height="${BAR_HEIGHT}" fill="#eef1f5" rx="2"/>`,
    `<rect x="${LABEL_WIDTH}" y="${barY}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}" rx="2"/>`,
    `<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${textY}" fill="#222">${(bar.value * 100).toFixed(1)}%</text>`,
  );
  return parts.join('');
}

/** A static horizontal bar chart (0–100%) written by hand so no browser or canvas is needed. */
export function barChartSvg(title: string, bars: readonly Bar[]): string {
  const plotBottom = TOP + bars.length * ROW_HEIGHT;
  const height = plotBottom + BOTTOM;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16" font-weight="600" fill="#111">${escapeXml(title)}</text>`,
    ...[0, 25, 50, 75, 100].map((p) => gridline(p, plotBottom)),
    ...bars.map(barRow),
    '</svg>',
    '',
  ].join('\n');
}

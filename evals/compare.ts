import { RETRIEVAL_MODES, type RetrievalMode } from './contract.ts';
import { ms, pct, textTable } from './format.ts';
import { type Ratio, RECALL_KS, type RecallK } from './metrics.ts';
import { HEADLINE, type RatioKey } from './report.ts';

/** The slice of a report that comparisons read; both a fresh `Report` and a parsed older one satisfy it. */
export interface Comparable {
  target: string;
  createdAt: string;
  summary: Partial<Record<RatioKey, unknown>>;
  latency: {
    p50Ms: number | null;
    p95Ms: number | null;
    engineP50Ms: number | null;
    engineP95Ms: number | null;
  };
  retrieval: {
    modes: Partial<
      Record<RetrievalMode, { recallAt: Partial<Record<`${RecallK}`, Ratio>>; mrr: number | null }>
    >;
  };
}

export type Verdict = 'better' | 'worse' | 'same' | 'n/a';

export interface CompareRow {
  metric: string;
  base: string;
  current: string;
  delta: string;
  verdict: Verdict;
}

type Kind = 'ratio' | 'ms' | 'score';

function isRatio(value: unknown): value is Ratio {
  return typeof value === 'object' && value !== null && 'value' in value;
}

function row(
  metric: string,
  base: number | null,
  current: number | null,
  kind: Kind,
  higherIsBetter: boolean,
): CompareRow {
  const show = (v: number | null) =>
    kind === 'ms' ? ms(v) : kind === 'ratio' ? pct(v) : (v?.toFixed(3) ?? 'n/a');
  if (base === null || current === null) {
    return { metric, base: show(base), current: show(current), delta: 'n/a', verdict: 'n/a' };
  }
  const diff = current - base;
  const sign = diff > 0 ? '+' : diff < 0 ? '-' : '±';
  const magnitude =
    kind === 'ms'
      ? ms(Math.abs(diff))
      : kind === 'ratio'
        ? `${(Math.abs(diff) * 100).toFixed(1)} pp`
        : Math.abs(diff).toFixed(3);
  // Latency jitters; treat sub-millisecond and rounding-level changes as no change.
  const same = kind === 'ms' ? Math.abs(diff) < 1 : Math.abs(diff) < 1e-9;
  const verdict: Verdict = same ? 'same' : diff > 0 === higherIsBetter ? 'better' : 'worse';
  return { metric, base: show(base), current: show(current), delta: `${sign}${magnitude}`, verdict };
}

const ratioValue = (value: unknown): number | null => (isRatio(value) ? value.value : null);

export function compareReports(base: Comparable, current: Comparable): CompareRow[] {
  const rows = HEADLINE.map((m) =>
    row(
      m.label,
      ratioValue(base.summary[m.key]),
      ratioValue(current.summary[m.key]),
      'ratio',
      m.higherIsBetter,
    ),
  );
  rows.push(
    row('Latency p50', base.latency.p50Ms, current.latency.p50Ms, 'ms', false),
    row('Latency p95', base.latency.p95Ms, current.latency.p95Ms, 'ms', false),
  );
  for (const mode of RETRIEVAL_MODES) {
    const b = base.retrieval.modes[mode];
    const c = current.retrieval.modes[mode];
    if (b === undefined && c === undefined) continue;
    for (const k of RECALL_KS) {
      const bv = b?.recallAt[k]?.value ?? null;
      const cv = c?.recallAt[k]?.value ?? null;
      rows.push(row(`${mode} recall@${k}`, bv, cv, 'ratio', true));
    }
    rows.push(row(`${mode} MRR`, b?.mrr ?? null, c?.mrr ?? null, 'score', true));
  }
  return rows;
}

export function formatComparison(base: Comparable, current: Comparable): string {
  const rows = compareReports(base, current);
  const header = `Comparison: base ${base.target} (${base.createdAt}) vs current ${current.target} (${current.createdAt})`;
  const table = textTable(
    ['metric', 'base', 'current', 'delta', 'verdict'],
    rows.map((r) => [r.metric, r.base, r.current, r.delta, r.verdict === 'n/a' ? '' : r.verdict]),
  );
  return `${header}\n${table}`;
}

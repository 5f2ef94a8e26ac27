import { ms, pct, textTable } from './format.ts';
import { RECALL_KS } from './metrics.ts';
import { HEADLINE, isFailed, type Report } from './report.ts';

/** The terminal summary: headline table, retrieval table, then one line per failed question. */
export function renderConsoleSummary(r: Report): string {
  const rows = HEADLINE.map((m) => {
    const x = r.summary[m.key];
    return [m.label, pct(x.value), `${x.num}/${x.den}`];
  });
  rows.push(['Latency p50', ms(r.latency.p50Ms), ''], ['Latency p95', ms(r.latency.p95Ms), '']);
  const parts = [textTable(['metric', 'value', 'n'], rows)];
  const retrievalRows = Object.entries(r.retrieval.modes).map(([mode, m]) => [
    mode,
    ...RECALL_KS.map((k) => pct(m.recallAt[k].value)),
    m.mrr?.toFixed(3) ?? 'n/a',
  ]);
  if (retrievalRows.length > 0) {
    parts.push(textTable(['retrieval', ...RECALL_KS.map((k) => `R@${k}`), 'MRR'], retrievalRows));
  }
  for (const [mode, error] of Object.entries(r.retrieval.errors))
    parts.push(`retrieval ${mode} failed: ${error}`);
  if (r.retrieval.note !== null) parts.push(r.retrieval.note);
  const failed = r.questions.filter(isFailed);
  parts.push(
    [
      `Failed questions: ${failed.length}/${r.questions.length}`,
      ...failed.map((q) => `  ${q.id}: ${q.failures.join('; ')}`),
    ].join('\n'),
  );
  return parts.join('\n\n');
}

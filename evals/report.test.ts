import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml } from './chart-svg.ts';
import { compareReports, formatComparison } from './compare.ts';
import { ComparableReportSchema, HEADLINE, headlineBars, isFailed } from './report.ts';
import { mdCell, mdTable, renderMarkdown } from './report-md.ts';
import { renderConsoleSummary } from './report-text.ts';
import { sampleReport } from './test-fixtures.ts';

const report = sampleReport();

describe('buildReport', () => {
  it('summarises and keeps per-question detail', () => {
    expect(report.summary.answerAccuracy).toMatchObject({ num: 1, den: 2 });
    expect(report.summary.abstention).toMatchObject({ num: 1, den: 1 });
    expect(report.questions.filter(isFailed).map((q) => q.id)).toEqual(['wrong | pipe']);
    expect(report.questions[0]).toMatchObject({ answer: '120,000 [1]', retrievalRanks: { hybrid: 1 } });
  });

  it('round-trips through JSON into the comparable schema', () => {
    expect(ComparableReportSchema.safeParse(JSON.parse(JSON.stringify(report))).success).toBe(true);
  });
});

describe('markdown report', () => {
  const md = renderMarkdown(report, 'metrics.svg');

  it('escapes table cells', () => {
    expect(mdCell('a | b\nc')).toBe('a \\| b c');
    expect(mdTable(['x', 'y'], [['1', '2']])).toBe('| x | y |\n| --- | --- |\n| 1 | 2 |');
  });

  it('has the summary, retrieval and tag tables', () => {
    expect(md).toContain('| Answer accuracy | 50.0% (1/2) |');
    expect(md).toContain('| hybrid | 50.0% | 50.0% | 50.0% | 50.0% | 0.500 |');
    expect(md).toContain('| dense | n/a | n/a | n/a | n/a | error: model missing |');
    expect(md).toContain('| unanswerable | 1 | n/a | n/a | 100.0% |');
  });

  it('details every failed question and only those', () => {
    expect(md).toContain('## Failed questions (1/3)');
    expect(md).toContain('### `wrong | pipe`');
    expect(md).toContain('- question: Which | pipe?');
    expect(md).toContain('- expected answers (any one): `120,000`');
    expect(md).toContain('expected evidence (seeds/a.txt): “The army has 120,000 troops.”');
    expect(md).toContain('> Beta is filler.');
    expect(md).toContain('- [1] seeds/a.txt [42, 57) (not gold; quote lacks answer): “Beta is filler.”');
    expect(md).toContain('first gold passage rank: hybrid >k');
    expect(md).not.toContain('### `right`');
  });
});

describe('console summary', () => {
  it('lists metrics, retrieval and failures', () => {
    const text = renderConsoleSummary(report);
    expect(text).toMatch(/Answer accuracy\s+50\.0%\s+1\/2/);
    expect(text).toContain('retrieval dense failed: model missing');
    expect(text).toContain(
      '  wrong | pipe: answer lacks every acceptable answer; no citation contains gold evidence',
    );
  });
});

describe('SVG chart', () => {
  const svg = barChartSvg('Title <&>', headlineBars(report));

  it('is standalone SVG with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Title &#60;&#38;&#62;');
    expect(escapeXml(`"'`)).toBe('&#34;&#39;');
  });

  it('draws one labelled row per metric, bar width proportional to the value', () => {
    for (const m of HEADLINE) expect(svg).toContain(m.label);
    expect(svg).toContain('Retrieval recall@5 (hybrid)');
    expect(svg).toContain('False abstention (lower is better)');
    // Answer accuracy 50% of a 420px plot; abstention 100%.
    expect(svg).toMatch(/<rect x="260" y="\d+(\.\d+)?" width="210\.0"/);
    expect(svg).toMatch(/<rect x="260" y="\d+(\.\d+)?" width="420\.0"/);
    expect(svg).toContain('not measured'); // multi-doc coverage: no such questions
    expect(svg).toContain('>100%</text>');
  });
});

describe('compare', () => {
  const base = sampleReport('2024-12-01T00:00:00.000Z');
  const current = structuredClone(report);
  current.summary.answerAccuracy = { num: 2, den: 2, value: 1 };
  current.latency.p95Ms = 250;

  it('reports deltas in percentage points and ms with a verdict', () => {
    const rows = compareReports(base, current);
    expect(rows.find((r) => r.metric === 'Answer accuracy')).toEqual({
      metric: 'Answer accuracy',
      base: '50.0%',
      current: '100.0%',
      delta: '+50.0 pp',
      verdict: 'better',
    });
    expect(rows.find((r) => r.metric === 'Latency p95')).toMatchObject({
      delta: '-50.0 ms',
      verdict: 'better',
    });
    expect(rows.find((r) => r.metric === 'Citation recall')).toMatchObject({
      delta: '±0.0 pp',
      verdict: 'same',
    });
    expect(rows.find((r) => r.metric === 'Multi-doc coverage')).toMatchObject({
      delta: 'n/a',
      verdict: 'n/a',
    });
    expect(rows.find((r) => r.metric === 'hybrid MRR')).toMatchObject({ base: '0.500', current: '0.500' });
    expect(rows.some((r) => r.metric.startsWith('bm25'))).toBe(false);
  });

  it('marks a rise in false abstention as worse', () => {
    const worse = structuredClone(report);
    worse.summary.falseAbstention = { num: 1, den: 2, value: 0.5 };
    expect(compareReports(base, worse).find((r) => r.metric === 'False abstention')?.verdict).toBe('worse');
  });

  it('prints an aligned table', () => {
    const text = formatComparison(base, current);
    expect(text.split('\n')[0]).toContain('base in-process data/index (2024-12-01');
    expect(text).toMatch(/Answer accuracy\s+50\.0%\s+100\.0%\s+\+50\.0 pp\s+better/);
  });
});

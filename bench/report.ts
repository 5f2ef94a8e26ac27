import type { Bm25Baseline, DenseBaseline } from './baselines.ts';
import type { PdfIngestResult } from './pdf-ingest.ts';
import type { CorpusInfo } from './corpus.ts';
import type { HnswResult } from './hnsw-recall.ts';
import type { IngestRun } from './ingest-child.ts';
import type { KnownItemResult } from './known-item.ts';
import { type AskLatency, SEARCH_PARTS, STAGES, type Stage, type StageTime } from './latency.ts';
import type { Latency } from './stats.ts';
import type { LoadResult, SoakResult } from './throughput.ts';

export interface IngestResult extends IngestRun {
  runs: number;
  /** Passages per second of ingest() end to end, of the embedding stage inside it, and of the embedder alone. */
  passagesPerSec: number;
  indexPassagesPerSec: number;
  embedOnlyPassagesPerSec: number;
}

export interface ServerResult {
  coldStartMs: number;
  coldStarts: number[];
  /** RSS right after the first answer. */
  rssIdleMb: number;
  http: Latency;
  throughput: LoadResult[];
  rssBeforeLoadMb: number;
  rssAfterLoadMb: number;
}

export interface ScaleResult {
  scale: number;
  corpus: CorpusInfo;
  ingest: IngestResult;
  /** loadEngine() in the benchmark process (index read and validation, BM25 build, embedder load). */
  engineLoadMs: number;
  knownItem: KnownItemResult & { wordsPerQuery: number; swapsPerQuery: number };
  ask: AskLatency;
  stages: Record<Stage, StageTime>;
  hnsw: HnswResult;
  dense: DenseBaseline;
  bm25: Bm25Baseline;
  server: ServerResult;
}

export interface Target {
  name: string;
  scale: number;
  value: string;
  goal: string;
  met: boolean;
}

export interface Results {
  meta: {
    mode: 'quick' | 'full';
    date: string;
    commit: string;
    node: string;
    cpu: string;
    cores: number;
    memoryGb: number;
    wallSeconds: number;
    /** 1-minute load average at start and end: other work on the machine skews every number. */
    loadAverage: [number, number];
  };
  scales: ScaleResult[];
  soak: (SoakResult & { scale: number }) | null;
  targets: Target[];
  /** PDF text extraction speed (bench/pdf-ingest.ts); absent in older results. */
  pdf?: PdfIngestResult;
}

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ratio = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
const scaleName = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** Compares the largest scale measured with the targets (set for 100k passages on 2 cores). */
export function evaluateTargets(scales: ScaleResult[], soak: Results['soak']): Target[] {
  const top = scales[scales.length - 1];
  if (!top) return [];
  const s = top.scale;
  const shipped = top.hnsw.sweep.find((p) => p.efSearch === top.hnsw.efSearch);
  const c8 = top.server.throughput.find((t) => t.connections === 8);
  const peakServerRss = Math.max(top.server.rssAfterLoadMb, top.server.rssIdleMb, soak?.rssMaxMb ?? 0);
  const targets: Target[] = [
    {
      name: 'ingest end to end',
      scale: s,
      value: `${f0(top.ingest.passagesPerSec)} passages/s`,
      goal: '≥ 1,000 passages/s',
      met: top.ingest.passagesPerSec >= 1000,
    },
    {
      name: '/ask in-process p50',
      scale: s,
      value: `${f2(top.ask.latency.p50)} ms`,
      goal: '≤ 15 ms',
      met: top.ask.latency.p50 <= 15,
    },
    {
      name: '/ask in-process p99',
      scale: s,
      value: `${f2(top.ask.latency.p99)} ms`,
      goal: '≤ 50 ms',
      met: top.ask.latency.p99 <= 50,
    },
  ];
  if (c8) {
    targets.push({
      name: 'HTTP throughput, 8 connections',
      scale: s,
      value: `${f0(c8.rps)} req/s, ${c8.errors + c8.non2xx} errors`,
      goal: '≥ 300 req/s, 0 errors',
      met: c8.rps >= 300 && c8.errors === 0 && c8.non2xx === 0,
    });
  }
  if (shipped) {
    targets.push({
      name: `HNSW recall@10 (efSearch ${shipped.efSearch})`,
      scale: s,
      value: `${f3(shipped.recall)} at ${ratio(shipped.speedup)} exact speed`,
      goal: '≥ 0.98 at ≥ 10×',
      met: shipped.recall >= 0.98 && shipped.speedup >= 10,
    });
  }
  targets.push({
    name: 'server RSS',
    scale: s,
    value: `${f0(peakServerRss)} MB`,
    goal: '≤ 1,536 MB',
    met: peakServerRss <= 1536,
  });
  if (soak) {
    targets.push({
      name: `soak (${soak.connections} connections, ${soak.seconds} s)`,
      scale: soak.scale,
      value: `${soak.status5xx} 5xx, ${soak.errors} errors, RSS ${soak.rssGrowth >= 0 ? '+' : ''}${pct(soak.rssGrowth)}`,
      goal: '0 5xx, 0 errors, RSS growth < 10%',
      met: soak.status5xx === 0 && soak.errors === 0 && soak.non2xx === 0 && soak.rssGrowth < 0.1,
    });
  }
  return targets;
}

interface Table {
  title: string;
  headers: string[];
  rows: string[][];
}

function tables(r: Results): Table[] {
  const out: Table[] = [];
  if (r.pdf) {
    out.push({
      title: 'PDF ingest (PDF.js text extraction with pages and reading order; medians)',
      headers: ['pages', 'MB', 'pages/s', 'extract s', 'extract+split s', 'passages', 'PDF.js load s'],
      rows: [
        [
          f0(r.pdf.pages),
          f1(r.pdf.megabytes),
          f0(r.pdf.pagesPerSec),
          f2(r.pdf.extractMs / 1000),
          f2(r.pdf.extractSplitMs / 1000),
          f0(r.pdf.passages),
          f2(r.pdf.loadMs / 1000),
        ],
      ],
    });
  }
  out.push({
    title: 'Ingest (the CLI path with full: true, fresh process per run; medians)',
    headers: [
      'scale',
      'docs',
      'passages/s',
      'read s',
      'split+embed+HNSW s',
      'lexical+write s',
      'embed-only passages/s',
      'peak RSS MB',
      'runs',
    ],
    rows: r.scales.map((s) => [
      scaleName(s.scale),
      f0(s.corpus.documents),
      f0(s.ingest.passagesPerSec),
      f1(s.ingest.readMs / 1000),
      f1(s.ingest.indexMs / 1000),
      f1(s.ingest.writeMs / 1000),
      f0(s.ingest.embedOnlyPassagesPerSec),
      f0(s.ingest.peakRssMb),
      String(s.ingest.runs),
    ]),
  });
  out.push({
    title: 'Known-item retrieval, recall@10 (queries: 30% of words dropped, WordNet synonyms)',
    headers: ['scale', 'queries', 'hybrid', 'BM25', 'dense', 'passages/query', 'hybrid ms p50'],
    rows: r.scales.map((s) => [
      scaleName(s.scale),
      String(s.knownItem.queries),
      f3(s.knownItem.recall.hybrid),
      f3(s.knownItem.recall.bm25),
      f3(s.knownItem.recall.dense),
      f2(s.knownItem.relevantPerQuery),
      f2(s.knownItem.medianMs.hybrid),
    ]),
  });
  out.push({
    title: 'Query latency, ms (median of passes)',
    headers: [
      'scale',
      'ask p50',
      'ask p95',
      'ask p99',
      'HTTP p50',
      'HTTP p95',
      'HTTP p99',
      'cold start',
      'engine load',
    ],
    rows: r.scales.map((s) => [
      scaleName(s.scale),
      f2(s.ask.latency.p50),
      f2(s.ask.latency.p95),
      f2(s.ask.latency.p99),
      f2(s.server.http.p50),
      f2(s.server.http.p95),
      f2(s.server.http.p99),
      f0(s.server.coldStartMs),
      f0(s.engineLoadMs),
    ]),
  });
  const stageCell = (s: ScaleResult, st: Stage) =>
    `${f2(s.stages[st].mean)} (${(s.stages[st].share * 100).toFixed(0)}%)`;
  out.push({
    title:
      'Where /ask spends its time (stage mean ms and share of engine.ask; bm25 and dense are part of search)',
    headers: ['scale', ...STAGES, ...SEARCH_PARTS.map((p) => `(${p})`)],
    rows: r.scales.map((s) => [
      scaleName(s.scale),
      ...STAGES.map((st) => stageCell(s, st)),
      ...SEARCH_PARTS.map((st) => stageCell(s, st)),
    ]),
  });
  out.push({
    title: 'HTTP throughput (autocannon, POST /ask, varied questions)',
    headers: [
      'scale',
      'conns',
      's',
      'req/s',
      'req/s p50',
      'lat p50 ms',
      'lat p99 ms',
      'errors',
      'non-2xx',
      'RSS MB',
    ],
    rows: r.scales.flatMap((s) =>
      s.server.throughput.map((t, i) => [
        scaleName(s.scale),
        String(t.connections),
        String(t.seconds),
        f0(t.rps),
        f0(t.rpsP50),
        f1(t.latencyP50),
        f1(t.latencyP99),
        String(t.errors),
        String(t.non2xx),
        i === 0 ? `${f0(s.server.rssBeforeLoadMb)} → ${f0(s.server.rssAfterLoadMb)}` : '',
      ]),
    ),
  });
  if (r.soak) {
    const k = r.soak;
    out.push({
      title: 'Soak',
      headers: [
        'scale',
        'conns',
        's',
        'requests',
        'req/s',
        '5xx',
        'errors',
        'RSS start',
        'RSS max',
        'RSS end',
        'growth',
      ],
      rows: [
        [
          scaleName(k.scale),
          String(k.connections),
          String(k.seconds),
          f0(k.requests),
          f0(k.rps),
          String(k.status5xx),
          String(k.errors),
          f0(k.rssStartMb),
          f0(k.rssMaxMb),
          f0(k.rssEndMb),
          pct(k.rssGrowth),
        ],
      ],
    });
  }
  out.push({
    title: 'HNSW vs exact cosine search (same vectors, recall@10, per-query µs)',
    headers: ['scale', 'M', 'efSearch', 'recall@10', 'HNSW p50 µs', 'exact p50 µs', 'speedup'],
    rows: r.scales.flatMap((s) =>
      s.hnsw.sweep.map((p) => [
        scaleName(s.scale),
        String(s.hnsw.m),
        p.efSearch === s.hnsw.efSearch ? `${p.efSearch} (shipped)` : String(p.efSearch),
        f3(p.recall),
        f1(p.p50Us),
        f1(s.hnsw.exactP50Us),
        ratio(p.speedup),
      ]),
    ),
  });
  out.push({
    title: 'Baselines (p50 ms per query; ratio = baseline / ours)',
    headers: [
      'scale',
      'HNSW',
      'exact scan',
      'LangChain MemoryVectorStore',
      'vs HNSW',
      'MVS recall@10',
      'BM25 indexed',
      'BM25 naive',
      'vs indexed',
      'same top 10',
    ],
    rows: r.scales.map((s) => [
      scaleName(s.scale),
      f3(s.dense.hnswP50Ms),
      f3(s.dense.exactP50Ms),
      f2(s.dense.memoryStoreP50Ms),
      ratio(s.dense.memoryStoreVsHnsw),
      f3(s.dense.memoryStoreRecall),
      f3(s.bm25.indexedP50Ms),
      f2(s.bm25.naiveP50Ms),
      ratio(s.bm25.speedup),
      pct(s.bm25.sameTop10),
    ]),
  });
  out.push({
    title: 'Targets',
    headers: ['target', 'scale', 'measured', 'goal', 'met'],
    rows: r.targets.map((t) => [t.name, scaleName(t.scale), t.value, t.goal, t.met ? 'yes' : 'NO']),
  });
  return out;
}

function header(r: Results): string {
  const m = r.meta;
  return (
    `${m.mode} run ${m.date} (commit ${m.commit}), Node ${m.node}, ${m.cores} × ${m.cpu}, ${m.memoryGb} GB RAM; ` +
    `${f0(m.wallSeconds)} s; load average ${f2(m.loadAverage[0])} at start, ${f2(m.loadAverage[1])} at end`
  );
}

export function renderText(r: Results): string {
  const blocks = tables(r).map((t) => {
    const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
        .join('  ');
    return [t.title, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join(
      '\n',
    );
  });
  return `${header(r)}\n\n${blocks.join('\n\n')}\n`;
}

export function renderMarkdown(r: Results): string {
  const blocks = tables(r).map((t) =>
    [
      `### ${t.title}`,
      '',
      `| ${t.headers.join(' | ')} |`,
      `| ${t.headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
      ...t.rows.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n'),
  );
  return `# Footnote benchmark\n\n${header(r)}\n\n${blocks.join('\n\n')}\n`;
}

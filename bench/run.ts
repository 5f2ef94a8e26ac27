import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest } from '../store/generations.ts';
import { buildModel } from '../ingest/model/build-model.ts';
import { analyseQuestion, type AskInput, loadEngine } from '../server/qa/index.ts';
import { bm25Baseline, denseBaseline } from './baselines.ts';
import { ensureCorpus } from './corpus.ts';
import { evaluateHnsw } from './hnsw-recall.ts';
import type { IngestRun } from './ingest-child.ts';
import { evaluateKnownItems, knownItems, sampleQueries } from './known-item.ts';
import { benchPdfIngest } from './pdf-ingest.ts';
import { askLatency, httpLatency, stageBreakdown } from './latency.ts';
import { QUESTIONS } from './questions.ts';
import {
  evaluateTargets,
  type IngestResult,
  type Results,
  renderMarkdown,
  renderText,
  type ScaleResult,
  type ServerResult,
} from './report.ts';
import { REPO_ROOT, startServer } from './server.ts';
import { median, medianOfRuns } from './stats.ts';
import { WordNet } from './synonyms.ts';
import { loadTest, type SoakResult, soak } from './throughput.ts';
import { benchWrites, type WritesResult } from './writes.ts';

const USAGE = `usage: npm run bench -- [--quick] [--writes] [--scales 1000,10000] [--ingest-runs 3]
  --quick        CI mode, under a minute: 1k and 10k passages, fewer queries, short load tests
  --writes       only the documents API: add and delete a page under /ask and /health traffic (bench/out/writes.json)
  --scales       passage counts to run (default: 1000,10000,100000; quick: 1000,10000)
  --ingest-runs  ingests per scale, of which the median is reported (default 3; quick 2): 1 at 1M saves most of an hour`;

/** How much of everything each mode measures; the full run is what README "Performance" reports. */
const MODES = {
  full: {
    scales: [1_000, 10_000, 100_000],
    ingestRuns: 3,
    /** Pages of the PDF whose ingest speed is measured. */
    pdfPages: 500,
    /** Passages the embedder-alone measurement embeds (0: all). */
    embedSample: 0,
    knownItems: 300,
    /** Known-item queries added to the handwritten questions in each latency pass. */
    latencyQueries: 160,
    /** Pool of known-item queries (plus the handwritten questions) the load tests cycle through. */
    loadQueries: 2000,
    askPasses: 5,
    httpPasses: 3,
    coldStarts: 3,
    loadSeconds: 30,
    /** Load tests at every scale, or only at the largest (where the soak runs too). */
    loadAtEveryScale: true,
    soakSeconds: 120,
    efs: [16, 32, 64, 128, 256],
    denseQueries: 100,
  },
  quick: {
    scales: [1_000, 10_000],
    ingestRuns: 2,
    pdfPages: 60,
    embedSample: 2000,
    knownItems: 100,
    latencyQueries: 60,
    loadQueries: 300,
    askPasses: 3,
    httpPasses: 2,
    coldStarts: 2,
    loadSeconds: 2,
    loadAtEveryScale: false,
    soakSeconds: 5,
    efs: [16, 32, 64, 128],
    denseQueries: 30,
  },
};
type Settings = (typeof MODES)['full'];

const CACHE_DIR = path.join(REPO_ROOT, 'bench', '.cache');
const OUT_DIR = path.join(REPO_ROOT, 'bench', 'out');
const LOAD_CONNECTIONS = [1, 8, 32];
const SOAK_CONNECTIONS = 8;

const started = performance.now();
const log = (msg: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

function runIngestChild(corpusDir: string, indexDir: string, embedSample: number): Promise<IngestRun> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', 'bench/ingest-child.ts', corpusDir, indexDir, String(embedSample)];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-8000);
    });
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() as string) as IngestRun);
      else reject(new Error(`ingest child exited with ${code}:\n${err}`));
    });
  });
}

async function benchIngest(corpusDir: string, indexDir: string, settings: Settings): Promise<IngestResult> {
  const runs = settings.ingestRuns;
  const results: (IngestRun & Omit<IngestResult, keyof IngestRun | 'runs'>)[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runIngestChild(corpusDir, indexDir, settings.embedSample);
    log(`  ingest run ${i + 1}/${runs}: ${Math.round(r.passages / (r.totalMs / 1000))} passages/s`);
    results.push({
      ...r,
      passagesPerSec: r.passages / (r.totalMs / 1000),
      indexPassagesPerSec: r.embedded / (r.indexMs / 1000),
      embedOnlyPassagesPerSec: r.embedOnlyPassages / (r.embedOnlyMs / 1000),
    });
  }
  return { ...medianOfRuns(results), runs };
}

async function benchServer(
  indexDir: string,
  inputs: { warmUp: AskInput[]; passes: AskInput[][]; load: AskInput[] },
  settings: Settings,
  largest: boolean,
): Promise<{ server: ServerResult; soak: SoakResult | null }> {
  const coldStarts: number[] = [];
  let server = await startServer(indexDir);
  coldStarts.push(server.coldStartMs);
  for (let i = 1; i < settings.coldStarts; i++) {
    await server.stop();
    server = await startServer(indexDir);
    coldStarts.push(server.coldStartMs);
  }
  log(`  cold start ${coldStarts.map((ms) => Math.round(ms)).join(', ')} ms`);
  try {
    const rssIdleMb = server.rssMb();
    const http = await httpLatency(server.url, inputs.warmUp, inputs.passes);
    const rssBeforeLoadMb = server.rssMb();
    const throughput = [];
    for (const connections of settings.loadAtEveryScale || largest ? LOAD_CONNECTIONS : []) {
      const t = await loadTest(server.url, inputs.load, connections, settings.loadSeconds);
      log(
        `  ${connections} connections: ${Math.round(t.rps)} req/s, ${t.errors} errors, ${t.non2xx} non-2xx`,
      );
      throughput.push(t);
    }
    const rssAfterLoadMb = server.rssMb();
    let soakResult: SoakResult | null = null;
    if (largest) {
      log(`  soak: ${SOAK_CONNECTIONS} connections for ${settings.soakSeconds} s`);
      soakResult = await soak(server, inputs.load, SOAK_CONNECTIONS, settings.soakSeconds);
    }
    return {
      server: {
        coldStartMs: median(coldStarts),
        coldStarts,
        rssIdleMb,
        http,
        throughput,
        rssBeforeLoadMb,
        rssAfterLoadMb,
      },
      soak: soakResult,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Seeds of the query sets (sampleQueries): each latency pass, the stage breakdown and the load tests get
 * their own queries, so no measurement replays another's through warm caches.
 */
const SEEDS = { warmUp: 100, askPasses: 101, stages: 200, httpWarmUp: 300, httpPasses: 301, load: 400 };

/** Everything measured in this process on one scale's index: retrieval quality, latency, baselines. */
async function benchInProcess(indexDir: string, settings: Settings, wordnet: WordNet) {
  let t0 = performance.now();
  const engine = await loadEngine({ indexDir });
  const engineLoadMs = performance.now() - t0;
  log(`  engine loaded in ${Math.round(engineLoadMs)} ms`);

  const { items, swapsPerQuery, wordsPerQuery } = knownItems(
    engine.index.passages,
    engine.documents,
    settings.knownItems,
    wordnet,
  );
  t0 = performance.now();
  const knownItem = { ...(await evaluateKnownItems(engine, items)), swapsPerQuery, wordsPerQuery };
  log(
    `  known-item recall@10: hybrid ${knownItem.recall.hybrid.toFixed(3)}, bm25 ${knownItem.recall.bm25.toFixed(3)}, dense ${knownItem.recall.dense.toFixed(3)} (${Math.round(performance.now() - t0)} ms)`,
  );

  /** The handwritten questions and `n` known-item queries of one seed. */
  const questions = (n: number, seed: number): AskInput[] => [
    ...QUESTIONS,
    ...sampleQueries(engine.index.passages, engine.documents, n, wordnet, seed).map((q) => ({
      question: q.query,
    })),
  ];
  const passes = (count: number, seed: number) =>
    Array.from({ length: count }, (_, i) => questions(settings.latencyQueries, seed + i));
  const ask = await askLatency(
    engine,
    questions(settings.latencyQueries, SEEDS.warmUp),
    passes(settings.askPasses, SEEDS.askPasses),
  );
  const stageInputs = questions(settings.latencyQueries, SEEDS.stages);
  const stages = await stageBreakdown(engine, stageInputs);
  log(`  ask p50 ${ask.latency.p50.toFixed(2)} ms, p99 ${ask.latency.p99.toFixed(2)} ms`);

  const analysed = [...items.map((i) => i.query), ...QUESTIONS.map((q) => q.question)].map((q) =>
    analyseQuestion(q),
  );
  const vectors = (await Promise.all(analysed.map((a) => engine.retriever.embedQuery(a.searchText)))).filter(
    (v) => v.some((x) => x !== 0),
  );
  const hnsw = await evaluateHnsw(engine.index, vectors, settings.efs);
  const dense = await denseBaseline(engine, vectors.slice(0, settings.denseQueries));
  const bm25 = bm25Baseline(
    engine,
    stageInputs.map((i) => engine.retriever.expand(analyseQuestion(i.question, i.history).terms)),
  );
  log(
    `  HNSW ${hnsw.sweep.map((p) => `ef${p.efSearch}=${p.recall.toFixed(3)}`).join(' ')}; MemoryVectorStore ${dense.memoryStoreVsHnsw.toFixed(0)}× HNSW; naive BM25 ${bm25.speedup.toFixed(0)}× indexed`,
  );
  const http = {
    warmUp: questions(settings.latencyQueries, SEEDS.httpWarmUp),
    passes: passes(settings.httpPasses, SEEDS.httpPasses),
    load: questions(settings.loadQueries, SEEDS.load),
  };
  return { result: { engineLoadMs, knownItem, ask, stages, hnsw, dense, bm25 }, http };
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO_ROOT }).toString().trim();
    return dirty ? `${sha}+changes` : sha;
  } catch {
    return 'unknown';
  }
}

/** `--writes`: the documents API's add and delete at each scale, on the cached corpus and index. */
async function writesOnly(scales: number[]): Promise<number> {
  const results: WritesResult[] = [];
  for (const scale of scales) {
    log(`${scale} passages: writes`);
    const corpus = await ensureCorpus(scale, CACHE_DIR);
    const indexDir = path.join(CACHE_DIR, `index-${scale}`);
    if (!(await readManifest(indexDir))) await runIngestChild(corpus.dir, indexDir, 1);
    results.push(await benchWrites(scale, corpus.dir, indexDir, path.join(CACHE_DIR, 'writes'), 16, log));
  }
  await mkdir(OUT_DIR, { recursive: true });
  await writeFile(path.join(OUT_DIR, 'writes.json'), `${JSON.stringify({ commit: gitCommit(), results }, null, 2)}\n`);
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
  const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  const lines = [
    '| scale | add ms | delete ms | in process add / delete ms | event-loop stall, median / max ms | /health max, writes alone | /ask p50 / p99 / max during writes (n) | /ask p50 / p99 / max between (n) | /health p99 / max during | /health p99 / max between | merge s | /ask p99 / max, /health p99 / max during the merge | failed |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) =>
      row([
        r.scale,
        Math.round(r.addMs),
        Math.round(r.deleteMs),
        `${Math.round(r.inProcess.addMs)} / ${Math.round(r.inProcess.deleteMs)}`,
        `${ms(r.inProcess.medianStallMs)} / ${ms(r.inProcess.maxStallMs)}`,
        ms(r.healthAloneMax),
        `${ms(r.askDuring.p50)} / ${ms(r.askDuring.p99)} / ${ms(r.askDuring.max)} (${r.askDuring.n})`,
        `${ms(r.askIdle.p50)} / ${ms(r.askIdle.p99)} / ${ms(r.askIdle.max)} (${r.askIdle.n})`,
        `${ms(r.healthDuring.p99)} / ${ms(r.healthDuring.max)}`,
        `${ms(r.healthIdle.p99)} / ${ms(r.healthIdle.max)}`,
        (r.merge.ms / 1000).toFixed(1),
        `${ms(r.merge.askDuring.p99)} / ${ms(r.merge.askDuring.max)}, ${ms(r.merge.healthDuring.p99)} / ${ms(r.merge.healthDuring.max)}`,
        `${r.failed.ask + r.failed.health}${r.failed.reasons.length ? ` (${r.failed.reasons.join('; ')})` : ''}`,
      ]),
    ),
  ];
  // Medians after the first write; "during" pools every request that overlapped a write under /ask traffic.
  console.log(lines.join('\n'));
  return 0;
}

async function main(): Promise<number> {
  let args: { quick: boolean; writes: boolean; scales?: string; 'ingest-runs'?: string; help: boolean };
  try {
    args = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        writes: { type: 'boolean', default: false },
        scales: { type: 'string' },
        'ingest-runs': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values as typeof args;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = args.quick ? 'quick' : 'full';
  const runs = args['ingest-runs'] === undefined ? MODES[mode].ingestRuns : Number(args['ingest-runs']);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--ingest-runs takes a whole number of at least 1\n${USAGE}`);
    return 2;
  }
  const settings = { ...MODES[mode], ingestRuns: runs };
  const scales = args.scales ? args.scales.split(',').map(Number) : settings.scales;
  if (scales.some((s) => !Number.isInteger(s) || s < 100)) {
    console.error(`--scales takes passage counts of at least 100\n${USAGE}`);
    return 2;
  }
  const loadStart = os.loadavg()[0] as number;
  await buildModel();
  if (args.writes) return writesOnly(scales);
  const wordnet = new WordNet();
  const results: ScaleResult[] = [];
  let soakResult: Results['soak'] = null;

  for (const scale of scales) {
    log(`${scale} passages`);
    const corpus = await ensureCorpus(scale, CACHE_DIR);
    log(`  corpus ${corpus.generated ? 'generated' : 'cached'}: ${corpus.info.documents} documents`);
    const indexDir = path.join(CACHE_DIR, `index-${scale}`);
    const ingest = await benchIngest(corpus.dir, indexDir, settings);
    const { result, http } = await benchInProcess(indexDir, settings, wordnet);
    const largest = scale === scales[scales.length - 1];
    const { server, soak: soaked } = await benchServer(indexDir, http, settings, largest);
    if (soaked) soakResult = { ...soaked, scale };
    results.push({ scale, corpus: corpus.info, ingest, ...result, server });
  }

  log(`PDF ingest: ${settings.pdfPages} pages`);
  const pdf = await benchPdfIngest(settings.pdfPages, settings.ingestRuns);
  log(`  ${Math.round(pdf.pagesPerSec)} pages/s`);

  const report: Results = {
    meta: {
      mode,
      date: new Date().toISOString(),
      commit: gitCommit(),
      node: process.versions.node,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      wallSeconds: (performance.now() - started) / 1000,
      loadAverage: [loadStart, os.loadavg()[0] as number],
    },
    scales: results,
    soak: soakResult,
    targets: evaluateTargets(results, soakResult),
    pdf,
  };
  await mkdir(OUT_DIR, { recursive: true });
  await writeFile(path.join(OUT_DIR, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(OUT_DIR, 'results.md'), renderMarkdown(report));
  console.log(renderText(report));
  log(`wrote bench/out/results.json and bench/out/results.md`);
  // Speed depends on the machine, failed requests don't: those fail the run (and CI).
  const loads = [...results.flatMap((s) => s.server.throughput), ...(soakResult ? [soakResult] : [])];
  const failed = loads.reduce((n, t) => n + t.errors + t.non2xx, 0);
  if (failed > 0) {
    log(`${failed} request(s) failed or got a non-2xx status under load`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

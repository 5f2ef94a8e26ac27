import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { createEmbedder } from '../ingest/embedder.ts';
import { buildModel } from '../ingest/model/build-model.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingest } from '../ingest/pipeline.ts';
import { denseSearch, denseSearchLangChain, openStore, type PgIndex, publishFromFiles } from '../store/postgres/store.ts';
import { analyseQuestion, type AskInput, type Engine, loadEngine, wordNet } from '../server/qa/index.ts';
import { LiveEngine } from '../server/live/live-engine.ts';
import { PgCorpus } from '../server/live/pg-corpus.ts';
import { loadPgEngine } from '../server/live/pg-engine.ts';
import { silentLogger } from '../server/logger.ts';
import { ensureCorpus } from './corpus.ts';
import { evaluateKnownItems, type KnownItem, knownItems, RECALL_K, recallAtK, sampleQueries } from './known-item.ts';
import { askLatency } from './latency.ts';
import { QUESTIONS } from './questions.ts';
import { REPO_ROOT } from './server.ts';
import { percentile } from './stats.ts';
import { WordNet } from './synonyms.ts';

/**
 * `npm run bench:pg -- [--scale 10000]`: the same bench corpus on the files store and on the Postgres store
 * (a PGlite + pgvector database in a child process, over the wire protocol), side by side: ingest
 * passages/s, engine.ask p50/p99, known-item recall@10; and the two choices the Postgres store makes,
 * measured: pgvector search by plain SQL vs LangChain's PGVectorStore, and Footnote's BM25 vs Postgres
 * full-text search (tsvector + GIN, ts_rank_cd). Writes bench/out/pg.json and pg.md.
 */

const CACHE_DIR = path.join(REPO_ROOT, 'bench', '.cache');
const OUT_DIR = path.join(REPO_ROOT, 'bench', 'out');
const log = (line: string) => console.error(line);

async function startDatabaseProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'store/postgres/db-dev.ts'], {
    env: { ...process.env, DATABASE_URL: url, PGDATA_DIR: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('db:dev: Postgres')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`db:dev exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const ms = (t0: number) => performance.now() - t0;

/**
 * p50 of `a` and of `b` over `inputs`, each input timed with both one after the other, so both see the same
 * machine load (this machine is shared).
 */
async function pairedP50<T>(
  inputs: T[],
  a: (x: T) => Promise<unknown>,
  b: (x: T) => Promise<unknown>,
): Promise<[number, number]> {
  for (const x of inputs.slice(0, 5)) await Promise.all([a(x), b(x)]);
  const ta: number[] = [];
  const tb: number[] = [];
  for (const [i, x] of inputs.entries()) {
    // Alternate which goes first, so neither always runs on the other's warm cache.
    for (const [fn, times] of i % 2 ? ([[a, ta], [b, tb]] as const) : ([[b, tb], [a, ta]] as const)) {
      const t0 = performance.now();
      await fn(x);
      times.push(ms(t0));
    }
  }
  return [percentile(ta, 50), percentile(tb, 50)];
}

async function storeResults(engine: Engine, items: KnownItem[], wordnet: WordNet, queries: number) {
  const knownItem = await evaluateKnownItems(engine, items);
  const questions = (seed: number): AskInput[] => [
    ...QUESTIONS,
    ...sampleQueries(engine.index.passages, engine.documents, queries, wordnet, seed).map((q) => ({ question: q.query })),
  ];
  const ask = await askLatency(engine, questions(100), [questions(101), questions(102), questions(103)]);
  return { recall: knownItem.recall, retrieveMedianMs: knownItem.medianMs, ask: ask.latency };
}

/** Postgres full-text search over the same passages: OR of the query's words, ranked by ts_rank_cd. */
async function fullTextSearch(pool: pg.Pool, table: string, items: KnownItem[]) {
  const t0 = performance.now();
  await pool.query('DROP TABLE IF EXISTS footnote_bench_fts');
  await pool.query(
    `CREATE TABLE footnote_bench_fts AS SELECT (metadata->>'ordinal')::int AS ordinal, to_tsvector('english', text) AS tsv FROM ${table}`,
  );
  await pool.query('CREATE INDEX ON footnote_bench_fts USING gin (tsv)');
  const buildMs = ms(t0);
  const recalls: number[] = [];
  const times: number[] = [];
  for (const item of items) {
    const words = item.query.toLowerCase().match(/[a-z0-9]+/g) ?? [];
    const t1 = performance.now();
    const { rows } = await pool.query<{ ordinal: number }>(
      `WITH q AS (SELECT to_tsquery('english', $1) AS q)
       SELECT ordinal FROM footnote_bench_fts, q WHERE tsv @@ q.q ORDER BY ts_rank_cd(tsv, q.q) DESC LIMIT $2`,
      [words.join(' | ') || 'nothing', RECALL_K],
    );
    times.push(ms(t1));
    recalls.push(recallAtK(rows.map((r) => r.ordinal), item.relevant));
  }
  await pool.query('DROP TABLE footnote_bench_fts');
  return { recall: recalls.reduce((a, b) => a + b, 0) / recalls.length, p50Ms: percentile(times, 50), buildMs };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '10000' }, queries: { type: 'string', default: '100' }, items: { type: 'string', default: '300' } },
  });
  const scale = Number(values.scale);
  const started = performance.now();
  await buildModel();
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  const wordnet = new WordNet();
  const corpus = await ensureCorpus(scale, CACHE_DIR);
  log(`${scale} passages: ${corpus.info.documents} documents`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'footnote-bench-pg-'));
  const indexDir = path.join(work, 'index');

  let t0 = performance.now();
  const summary = await ingest({ corpusDir: corpus.dir, indexDir, embedder, maxBytes: 64 * 1024 * 1024, full: true });
  const filesIngestMs = ms(t0);
  log(`  files ingest ${(filesIngestMs / 1000).toFixed(1)} s`);

  const db = await startDatabaseProcess();
  const pool = await openStore(db.url);
  try {
    t0 = performance.now();
    const published = await publishFromFiles(pool, await realpath(indexDir), embedder);
    const publishMs = ms(t0);
    log(`  publish to Postgres ${(publishMs / 1000).toFixed(1)} s (${JSON.stringify(published.steps)})`);

    wordNet(); // read once before either load is timed
    t0 = performance.now();
    const files = await loadEngine({ indexDir, embedder });
    const filesLoadMs = ms(t0);
    t0 = performance.now();
    const postgres = await loadPgEngine({ pool, modelsDir: MODELS_DIR, embedder });
    const pgLoadMs = ms(t0);
    log(`  engine load: files ${Math.round(filesLoadMs)} ms, postgres ${Math.round(pgLoadMs)} ms`);

    const { items } = knownItems(files.index.passages, files.documents, Number(values.items), wordnet);
    const queries = Number(values.queries);
    const filesResult = await storeResults(files, items, wordnet, queries);
    log(`  files: ${JSON.stringify(filesResult)}`);
    const pgResult = await storeResults(postgres, items, wordnet, queries);
    log(`  postgres: ${JSON.stringify(pgResult)}`);

    const { table } = postgres.index as PgIndex;
    const vectors = (
      await Promise.all(items.slice(0, 100).map((i) => embedder.embedQuery(analyseQuestion(i.query).searchText)))
    ).filter((v) => v.some((x) => x !== 0));
    const [sql, langchain] = await pairedP50(
      [...vectors, ...vectors],
      (v) => denseSearch(pool, table, v, 50),
      (v) => denseSearchLangChain(pool, table, embedder, v, 50),
    );
    let same = 0;
    for (const v of vectors.slice(0, 20)) {
      const a = (await denseSearch(pool, table, v, 50)).map(([i]) => i);
      const b = (await denseSearchLangChain(pool, table, embedder, v, 50)).map(([i]) => i);
      if (a.join() === b.join()) same++;
    }
    log(`  pgvector top 50: plain SQL p50 ${sql.toFixed(2)} ms, PGVectorStore ${langchain.toFixed(2)} ms (${same}/20 identical)`);

    const fts = await fullTextSearch(pool, table, items);
    log(`  lexical recall@10: Footnote BM25 ${filesResult.recall.bm25.toFixed(3)} (p50 ${filesResult.retrieveMedianMs.bm25.toFixed(2)} ms with analysis), Postgres FTS ${fts.recall.toFixed(3)} (p50 ${fts.p50Ms.toFixed(2)} ms, build ${Math.round(fts.buildMs)} ms)`);

    // A documents API write on the Postgres store: the new document's passages embedded, the next generation
    // published as a change beside the indexed table (see PgCorpus), then reloaded.
    const live = new LiveEngine({
      indexDir,
      modelsDir: MODELS_DIR,
      modelId: DEFAULT_MODEL_ID,
      logger: silentLogger,
      load: (e) => loadPgEngine({ pool, modelsDir: MODELS_DIR, ...(e ? { embedder: e } : { embedder }) }),
    });
    await live.reload();
    const writer = new PgCorpus({ pool, live, maxDocBytes: 1024 * 1024, folder: path.basename(corpus.dir) });
    const added = await writer.add({ id: 'bench-added', title: 'Bench addition', body: QUESTIONS.map((q) => `${q.question} Yes.`).join('\n\n'), format: 'text' });
    const removed = await writer.remove('bench-added');
    const write = { addMs: added.ms, removeMs: removed.ms };
    log(`  documents API on Postgres: add ${added.ms} ms (${added.passages} passages), delete ${removed.ms} ms`);

    const passages = summary.passages;
    const result = {
      date: new Date().toISOString(),
      scale,
      passages,
      cores: os.cpus().length,
      wallSeconds: ms(started) / 1000,
      ingest: {
        filesPassagesPerSec: passages / (filesIngestMs / 1000),
        postgresPassagesPerSec: passages / ((filesIngestMs + publishMs) / 1000),
        publishMs,
        publishSteps: published.steps,
        generation: published.generation,
      },
      load: { filesMs: filesLoadMs, postgresMs: pgLoadMs },
      files: filesResult,
      postgres: pgResult,
      write,
      dense: { plainSqlP50Ms: sql, pgVectorStoreP50Ms: langchain, identicalOf20: same },
      lexical: { bm25Recall: filesResult.recall.bm25, ftsRecall: fts.recall, ftsP50Ms: fts.p50Ms, ftsBuildMs: fts.buildMs },
    };
    const f1 = (n: number) => n.toFixed(1);
    const f3 = (n: number) => n.toFixed(3);
    const rec = (r: typeof filesResult.recall) => `${f3(r.hybrid)} / ${f3(r.bm25)} / ${f3(r.dense)}`;
    const md = [
      `| store (${passages} passages) | ingest passages/s | load ms | known-item recall@10 hybrid / BM25 / dense | ask p50 / p99 ms |`,
      '| --- | ---: | ---: | --- | ---: |',
      `| files | ${Math.round(result.ingest.filesPassagesPerSec)} | ${Math.round(filesLoadMs)} | ${rec(filesResult.recall)} | ${f1(filesResult.ask.p50)} / ${f1(filesResult.ask.p99)} |`,
      `| postgres (PGlite) | ${Math.round(result.ingest.postgresPassagesPerSec)} | ${Math.round(pgLoadMs)} | ${rec(pgResult.recall)} | ${f1(pgResult.ask.p50)} / ${f1(pgResult.ask.p99)} |`,
      '',
      `pgvector top 50: plain SQL p50 ${sql.toFixed(2)} ms, PGVectorStore.similaritySearchVectorWithScore ${langchain.toFixed(2)} ms (${same}/20 identical lists).`,
      `Lexical recall@10: Footnote BM25 ${f3(filesResult.recall.bm25)}, Postgres full-text (tsvector + GIN, ts_rank_cd, OR of the words) ${f3(fts.recall)} at p50 ${fts.p50Ms.toFixed(2)} ms.`,
      `Documents API on Postgres: POST ${write.addMs} ms, DELETE ${write.removeMs} ms (each publishes the next generation as a change beside the indexed table, then reloads it).`,
      '',
    ].join('\n');
    await mkdir(OUT_DIR, { recursive: true });
    await writeFile(path.join(OUT_DIR, 'pg.json'), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(path.join(OUT_DIR, 'pg.md'), md);
    console.log(md);
    return 0;
  } finally {
    await pool.end();
    await db.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

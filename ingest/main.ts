import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, IngestEnvSchema, parseEnv } from './config.ts';
import { createEmbedder, DEFAULT_MODEL_ID, type Embedder } from './embedder.ts';
import { IndexError } from '../store/generations.ts';
import { buildModel } from './model/build-model.ts';
import { EmptyCorpusError, type IngestSummary } from './pipeline.ts';
import { ingestInThread, IngestThread } from './ingest-thread.ts';
import { StoreEnvSchema } from '../store/postgres/config.ts';
import { openStore, publishFromFiles, redact } from '../store/postgres/store.ts';
import { watchFolder } from './watch.ts';

const USAGE = `usage: npm run ingest -- [--dir seeds] [--index-dir data/index] [--full] [--watch]
  --dir        corpus folder (.txt, .md, .html, .pdf, .docx files; default $CORPUS_DIR or seeds)
  --index-dir  where the index is published (default $INDEX_DIR or data/index)
  --full       re-embed every passage instead of reusing unchanged ones
  --watch      keep running and re-ingest whenever a file of the corpus folder changes`;

function progressReporter(): { onProgress: (done: number, total: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: 'indexing [{bar}] {percentage}% {value}/{total} documents, eta {eta_formatted}',
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      onProgress: (done, total) => {
        if (total === 0) return;
        if (!started) bar.start(total, done);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  // Not a terminal (CI, logs): a plain line every ~10%.
  let lastDecile = -1;
  return {
    onProgress: (done, total) => {
      if (total === 0) return;
      const decile = Math.floor((done / total) * 10);
      if (decile !== lastDecile) console.error(`indexed ${done}/${total} documents`);
      lastDecile = decile;
    },
    stop: () => {},
  };
}

export function formatSummary(s: IngestSummary): string {
  const lines = [
    `indexed ${s.documents} document(s), ${s.passages} passage(s) in ${s.seconds.toFixed(2)} s`,
    `  passages: ${s.added} added, ${s.removed} removed, ${s.unchanged} unchanged; ${s.embedded} embedding(s) computed`,
  ];
  if (s.fullRebuildReason) lines.push(`  full rebuild: ${s.fullRebuildReason}`);
  for (const d of s.duplicates)
    lines.push(`  duplicate: ${d.file} has the same text as ${d.sameAs} (not indexed twice)`);
  for (const k of s.skipped) lines.push(`  skipped ${k.file}: ${k.reason}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      options: {
        dir: { type: 'string' },
        'index-dir': { type: 'string' },
        full: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  try {
    args = parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = parseEnv(IngestEnvSchema);
  const corpusDir = args.values.dir ?? env.CORPUS_DIR;
  const indexDir = args.values['index-dir'] ?? env.INDEX_DIR;
  const embedder = await loadModel(env.EMBEDDING_MODEL, env.MODELS_DIR);
  const store = parseEnv(StoreEnvSchema);
  // FOOTNOTE_STORE=postgres: the files index is still written (the embedding cache), then published to the database.
  const pool = store.FOOTNOTE_STORE === 'postgres' ? await openStore(store.DATABASE_URL) : null;
  // Splitting, the HNSW graph and writing run on this thread's worker while this one embeds: the two overlap.
  const thread = new IngestThread();
  const once = async (full: boolean) => {
    const progress = progressReporter();
    try {
      const summary = await ingestInThread({
        corpusDir,
        indexDir,
        embedder,
        maxBytes: env.MAX_DOC_BYTES,
        full,
        onProgress: progress.onProgress,
        // A long PDF: a line every 100 pages.
        onPdfPage: (file, done, total) => {
          if (total >= 100 && (done % 100 === 0 || done === total)) console.error(`reading ${file}: page ${done}/${total}`);
        },
        onPlan: (p) => {
          if (p.fullRebuildReason && p.fullRebuildReason !== 'no previous index') {
            console.error(`full rebuild: ${p.fullRebuildReason}`);
          }
        },
      }, thread);
      progress.stop();
      console.log(formatSummary(summary));
      if (pool) {
        const { generation, ms } = await publishFromFiles(pool, summary.generation, embedder);
        console.log(`published generation ${generation} to ${redact(store.DATABASE_URL)} in ${(ms / 1000).toFixed(2)} s`);
      }
    } finally {
      progress.stop();
    }
  };
  if (!args.values.watch) {
    await once(args.values.full).finally(() => pool?.end());
    return 0;
  }
  // Watch mode outlives bad states (an emptied folder, a locked index): it reports them and waits for the
  // next change. A server with INDEX_WATCH (the default) picks each published index up by itself.
  const report = (err: unknown) => {
    const known = expectedError(err);
    if (!known) throw err;
    console.error(known.line);
  };
  await once(args.values.full).catch(report);
  const watcher = watchFolder({ dir: corpusDir, run: () => once(false).catch(report) });
  console.error(`watching ${corpusDir} for changes (Ctrl-C to stop)`);
  return new Promise((resolve) => {
    const stop = () => {
      watcher.close();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

class ModelError extends Error {
  override name = 'ModelError';
}

/**
 * The embedder, building the default model first when it is not built yet (a fresh clone that runs
 * `npm run ingest` before `npm start`); a model that cannot be loaded is one line, not a stack trace.
 */
async function loadModel(modelId: string, modelsDir: string): Promise<Embedder> {
  if (modelId === DEFAULT_MODEL_ID && !existsSync(path.join(modelsDir, modelId, 'config.json'))) {
    const outDir = path.join(modelsDir, modelId);
    console.error(`building the embedding model ${modelId} in ${outDir} first (once, ~10 s)`);
    await buildModel({ outDir }).catch((err: unknown) => {
      throw new ModelError(`cannot build the embedding model: ${(err as Error).message ?? err}`);
    });
  }
  try {
    return await createEmbedder({ modelId, modelsDir });
  } catch (err) {
    throw new ModelError((err as Error).message.split('\n')[0] ?? String(err));
  }
}

/** Errors that are the user's to fix, as one line and an exit code; null for bugs. */
function expectedError(err: unknown): { line: string; code: number } | null {
  if (err instanceof EmptyCorpusError || err instanceof ConfigError || err instanceof ModelError)
    return { line: `error: ${err.message}`, code: 2 };
  if (err instanceof IndexError) return { line: `error: ${err.message}: ${err.hint}`, code: 2 };
  return null;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = expectedError(err);
    console.error(known ? known.line : err);
    process.exit(known ? known.code : 1);
  },
);

import path from 'node:path';
import { ConfigError, parseEnv } from '../ingest/config.ts';
import { createThreadEmbedder, embeddingThreadSettled } from '../ingest/embedder-thread.ts';
import { StoreEnvSchema } from '../store/postgres/config.ts';
import { createApp } from './http/app.ts';
import { ServerEnvSchema } from './config.ts';
import { Corpus } from './live/corpus.ts';
import { ListenError, listen, shutdownOnSignals } from './lifecycle.ts';
import { describeLoadError, LiveEngine } from './live/live-engine.ts';
import { createLogger } from './logger.ts';
import type { GenerationWatcher } from './live/pg-engine.ts';
import { createGenerativeAnswerer, type GenerativeAnswerer, llmConfigFromEnv } from './qa/index.ts';

/** A reason the server cannot start, printed as one line (exit code 2) instead of a stack trace. */
class StartupError extends Error {}

async function main(): Promise<void> {
  const env = parseEnv(ServerEnvSchema);
  const logger = createLogger(env.LOG_LEVEL);
  // LLM_BASE_URL set: a language model writes the answers, each sentence verified against its citation.
  const llmConfig = llmConfigFromEnv();
  // Imported only when configured: LangChain's OpenAI client is about a second of a cold start's imports.
  const llm: GenerativeAnswerer | null = llmConfig ? await createGenerativeAnswerer(llmConfig) : null;
  if (llmConfig) {
    const { model, timeoutMs, unsupported } = llmConfig;
    logger.info({ model, timeoutMs, unsupported }, `generative answers with ${model}`);
  }
  const store = parseEnv(StoreEnvSchema);
  // FOOTNOTE_STORE=postgres: the index is read from a database several servers share (migrated at start).
  // Imported only then: the Postgres client and LangChain's pgvector store are most of a second of imports.
  const pg = store.FOOTNOTE_STORE === 'postgres' ? await import('./live/pg-engine.ts') : null;
  const pool = pg
    ? await (await import('../store/postgres/store.ts'))
        .openStore(store.DATABASE_URL, { queryTimeoutMs: 60_000 })
        .catch((err: unknown) => {
          throw new StartupError(describeLoadError(err));
        })
    : null;
  let watcher: GenerationWatcher | null = null;
  const live = new LiveEngine({
    indexDir: env.INDEX_DIR,
    modelsDir: env.MODELS_DIR,
    modelId: env.EMBEDDING_MODEL,
    logger,
    // The model loads and embeds in a thread of its own: off the event loop at start and for every query.
    createEmbedder: createThreadEmbedder,
    ...(pg && pool
      ? {
          load: (embedder) =>
            pg.loadPgEngine({
              pool,
              modelsDir: env.MODELS_DIR,
              modelId: env.EMBEDDING_MODEL,
              embedder,
              createEmbedder: createThreadEmbedder,
            }),
          unavailable: () => watcher?.unavailable() ?? null,
        }
      : {}),
  });
  // The index is loaded before listening: a server that can't answer refuses to start.
  await live.reload().catch((err: unknown) => {
    throw new StartupError(describeLoadError(err));
  });
  // The documents API writes the corpus folder and the files index, or, with Postgres, the shared database.
  const corpus = pool
    ? new (await import('./live/pg-corpus.ts')).PgCorpus({ pool, live, maxDocBytes: env.MAX_DOC_BYTES, folder: path.basename(path.resolve(env.CORPUS_DIR)) })
    : new Corpus({ corpusDir: env.CORPUS_DIR, indexDir: env.INDEX_DIR, maxDocBytes: env.MAX_DOC_BYTES, live, logger });
  // With the documents API on, the server is a writer of the corpus: it finishes or undoes changes a
  // crash left half-done and indexes what differs between the folder and the index before it serves.
  // (A Postgres write is one transaction: nothing is left half-done.)
  if (env.FOOTNOTE_ADMIN_TOKEN && corpus instanceof Corpus) {
    const { fixed, skipped } = await corpus.reconcile();
    if (skipped) logger.warn({ reason: skipped }, 'corpus not reconciled with the index');
    else if (fixed.length) logger.warn({ fixed }, 'reconciled the corpus folder with the index');
    else logger.info('corpus folder and index agree');
    // The writer's copy of the index is read now, in its thread, rather than by the first add or delete.
    corpus.prepare().catch((err: unknown) => logger.warn({ error: String(err) }, 'ingest worker could not read the index'));
  }
  let draining = false;
  const app = createApp({
    state: live.state,
    webDir: env.WEB_DIR,
    maxBodyBytes: env.MAX_BODY_BYTES,
    apiToken: env.FOOTNOTE_API_TOKEN,
    logger,
    adminToken: env.FOOTNOTE_ADMIN_TOKEN,
    reload: () => live.reload(),
    corpus,
    maxDocBytes: env.MAX_DOC_BYTES,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    trustProxy: env.TRUST_PROXY,
    corsOrigins: env.CORS_ORIGINS,
    // The model's own timeout falls back to the extractive answer: the request timeout must be longer.
    handlerTimeoutMs: llm ? Math.max(env.HANDLER_TIMEOUT_MS, llm.config.timeoutMs + 5000) : env.HANDLER_TIMEOUT_MS,
    llm,
    draining: () => draining,
    corpusDir: env.CORPUS_DIR,
  });
  const server = await listen({
    fetch: app.fetch,
    hostname: env.HOST,
    port: env.PORT,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const m = live.state().engine?.index.manifest;
  logger.info(
    { url: `http://${env.HOST}:${port}`, documents: m?.counts.documents, passages: m?.counts.passages },
    `footnote listening on http://${env.HOST}:${port}`,
  );
  if (pg && pool) {
    watcher = new pg.GenerationWatcher({ url: store.DATABASE_URL, pool, live, logger, pollMs: store.FOOTNOTE_PG_POLL_MS });
    watcher.start();
  } else if (env.INDEX_WATCH) live.watch();
  // SIGHUP forces a reload, e.g. after copying an index in place by hand; a failure is logged and kept.
  process.on('SIGHUP', () => {
    live.reload().catch(() => {});
  });
  shutdownOnSignals(server, {
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    logger,
    onDrain: () => {
      draining = true;
    },
  });
}

main().catch(async (err: unknown) => {
  const known = err instanceof StartupError || err instanceof ConfigError || err instanceof ListenError;
  console.error(known ? `footnote: ${err.message}` : err);
  await embeddingThreadSettled(10_000);
  process.exit(known ? 2 : 1);
});

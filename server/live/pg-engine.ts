import pg from 'pg';
import type { Embedder, EmbedderFactory } from '../../ingest/embedder.ts';
import { IndexError } from '../../store/generations.ts';
import type { DocumentRecord } from '../../store/format.ts';
import {
  currentGeneration,
  GENERATION_CHANNEL,
  loadGeneration,
  type PgIndex,
  redact,
  searchGeneration,
} from '../../store/postgres/store.ts';
import { Engine, embedderInThisThread, loadInflections, type Retrieved, Retriever, wordNet } from '../qa/index.ts';
import { FootnoteError } from '../errors.ts';
import type { LiveEngine } from './live-engine.ts';
import type { Logger } from '../logger.ts';

/** How often a server that lost the database (or its LISTEN connection) tries again: at most; FOOTNOTE_PG_POLL_MS if shorter. */
const LOST_RETRY_MS = 1000;

/** How many dense neighbours a search fetches: what hybrid retrieval reads (retrieve.ts CANDIDATES). */
const DENSE_DEPTH = 50;

/**
 * Retrieval over a Postgres generation. Dense search is pgvector's HNSW index (cosine, `<=>`), one query
 * per question. Lexical search is Footnote's own BM25, rebuilt from the passages table at load (the base
 * class), not Postgres full-text search. Measured by `npm run bench:pg` at 10k passages (300 known-item
 * queries): Postgres full-text search (a `tsvector` GIN index, the query's words OR-ed, `ts_rank_cd`)
 * found the passage in the top 10 for 0.930 of the queries at 72.7 ms p50, Footnote's BM25 for 0.970 at
 * 1.0 ms (with query analysis); at 100k, 0.840 at 490 ms against 0.961 at 6.0 ms. ts_rank_cd has no IDF or
 * saturation, and Postgres would not see the spelling variants, WordNet relatives and title words the BM25
 * query carries. The answerer needs the BM25 statistics in memory anyway (IDF features, the vocabulary for
 * spelling variants), so the cost of this choice is only the rebuild at load: 1.4 s at 10k passages (0.17
 * s for the files store's persisted one).
 */
export class PgRetriever extends Retriever {
  /** Dense hits fetched by `search` for a query vector, read synchronously by the base class's `searchDense`. */
  private readonly prefetched = new WeakMap<Float32Array, Array<[number, number]>>();

  constructor(
    index: PgIndex,
    embedder: Embedder,
    documents: Map<string, DocumentRecord>,
    private readonly pool: pg.Pool,
  ) {
    super(index.passages, index.vectors, index.hnsw, embedder, documents);
    this.index = index;
  }

  private readonly index: PgIndex;

  override async search(opts: Parameters<Retriever['search']>[0]): Promise<Retrieved[]> {
    if (opts.mode !== 'bm25') {
      const k = Math.max(opts.k, DENSE_DEPTH);
      try {
        this.prefetched.set(opts.queryVector, await searchGeneration(this.pool, this.index, opts.queryVector, k));
      } catch (err) {
        throw new FootnoteError('not_ready', `the database is unreachable: ${(err as Error).message}`);
      }
    }
    // The base class reads the prefetched list synchronously, before its first await.
    return super.search(opts);
  }

  override searchDense(query: Float32Array, k: number): Array<[number, number]> {
    const hits = this.prefetched.get(query);
    if (!hits) throw new Error('dense search over Postgres is asynchronous: call search()');
    this.prefetched.delete(query);
    return hits.slice(0, k);
  }
}

/** Loads the current generation from Postgres into an engine (same model checks as loadEngine). */
export async function loadPgEngine(opts: {
  pool: pg.Pool;
  modelsDir: string;
  modelId?: string;
  embedder?: Embedder;
  /** How the model is loaded when no `embedder` is given (default: in this thread). */
  createEmbedder?: EmbedderFactory;
}): Promise<Engine> {
  const index = await loadGeneration(opts.pool);
  const indexModel = index.manifest.model.id;
  if (opts.modelId && opts.modelId !== indexModel) {
    throw new IndexError(
      `index built with ${indexModel}, server configured with ${opts.modelId}`,
      'run FOOTNOTE_STORE=postgres npm run ingest to rebuild the index with the configured model',
    );
  }
  const createEmbedder = opts.createEmbedder ?? embedderInThisThread;
  const embedder = opts.embedder ?? (await createEmbedder({ modelId: indexModel, modelsDir: opts.modelsDir }));
  wordNet();
  loadInflections();
  return new Engine(index, embedder, (documents) => new PgRetriever(index, embedder, documents, opts.pool));
}

/**
 * Keeps a server on the current generation of a shared database: LISTENs for publishes on a connection of
 * its own and reloads (through LiveEngine, so the swap is the files store's), and checks the current
 * generation every `pollMs` as well, which also notices a lost connection (then /ask and /health answer
 * 503 not_ready with the reason) and its return (reconnect, LISTEN again, reload if a publish was missed).
 * While the database is lost it checks every second at least, so a server serves again soon after the
 * database returns whatever `pollMs` is.
 */
export class GenerationWatcher {
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lost: string | null = null;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly opts: {
      url: string;
      pool: pg.Pool;
      live: LiveEngine;
      logger: Logger;
      pollMs: number;
    },
  ) {}

  /** The reason the database cannot serve now, or null. */
  readonly unavailable = (): string | null => this.lost;

  start(): void {
    void this.check();
  }

  /** Checks now (connection, listener, generation); schedules the next check. */
  check(): Promise<void> {
    this.checking ??= this.checkNow().finally(() => {
      this.checking = null;
      clearTimeout(this.timer);
      // Unref'd: the watcher never keeps a stopping server alive.
      const retry = this.lost || !this.listener;
      this.timer = setTimeout(() => void this.check(), retry ? Math.min(this.opts.pollMs, LOST_RETRY_MS) : this.opts.pollMs);
      this.timer.unref();
    });
    return this.checking;
  }

  private async checkNow(): Promise<void> {
    try {
      if (!this.listener) await this.listen();
      const generation = await currentGeneration(this.opts.pool);
      if (this.lost) {
        this.opts.logger.info({ database: redact(this.opts.url) }, 'database connection restored');
        this.lost = null;
      }
      if (generation) await this.reloadIf(generation);
    } catch (err) {
      const message = `the database is unreachable (${redact(this.opts.url)}): ${(err as Error).message}; retrying`;
      if (!this.lost) this.opts.logger.error({ error: (err as Error).message }, 'database connection lost');
      this.lost = message;
      await this.listener?.end().catch(() => {});
      this.listener = null;
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 5000 });
    const lost = () => {
      // A listener that is gone misses publishes: check now (reconnect, or report the database lost).
      if (this.listener !== client) return;
      this.listener = null;
      void this.check();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (n.channel === GENERATION_CHANNEL && n.payload) void this.reloadIf(n.payload).catch(() => {});
    });
    await client.connect();
    await client.query(`LISTEN ${GENERATION_CHANNEL}`);
    this.listener = client;
  }

  private reloadIf(generation: string): Promise<void> {
    const { live } = this.opts;
    return live.exclusive(async () => {
      if (live.state().engine?.index.dir === `postgres:${generation}`) return;
      // A failed reload is logged and shown by /health; the previous generation keeps serving.
      await live.reloadNow().catch(() => {});
    });
  }
}

import { type FSWatcher, watch } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { IndexError } from '../../store/generations.ts';
import type { EmbedderFactory } from '../../ingest/embedder.ts';
import type { EngineState } from './engine-state.ts';
import { type Engine, loadEngine } from '../qa/index.ts';
import type { Logger } from '../logger.ts';

export interface ReloadResult {
  /** The generation directory now served. */
  generation: string;
  documents: number;
  passages: number;
  ms: number;
}

export interface LiveEngineOptions {
  indexDir: string;
  modelsDir: string;
  modelId: string;
  logger: Logger;
  /** How the embedding model is loaded (default: in this thread; the server runs it in a thread of its own). */
  createEmbedder?: EmbedderFactory;
  /** Builds the engine from another store (Postgres); by default it is loaded from `indexDir`. */
  load?: (embedder: Engine['embedder'] | undefined) => Promise<Engine>;
  /** Why the store cannot answer now (a lost database connection), or null: served as 503 not_ready. */
  unavailable?: () => string | null;
}

/** The one-line reason of a failed load, with what to run when there is a hint. */
export function describeLoadError(err: unknown): string {
  if (err instanceof IndexError) return `${err.message}: ${err.hint}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The engine currently served. Engines are immutable, so a reload builds a complete new one beside the old
 * and swaps a single reference: a request keeps the engine it started with, and none sees half of each.
 * A reload that fails leaves the old engine serving and is reported by /health.
 */
export class LiveEngine {
  private engine: Engine | null = null;
  private lastReload: EngineState['lastReload'];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: LiveEngineOptions) {}

  readonly state = (): EngineState => {
    if (!this.engine) return { engine: null, status: 'loading' };
    const down = this.opts.unavailable?.();
    if (down) return { engine: null, status: 'error', message: down };
    const failed = this.lastReload && !this.lastReload.ok;
    return {
      engine: this.engine,
      status: 'ok',
      ...(failed ? { message: `the last reload failed, still serving the previous index` } : {}),
      ...(this.lastReload ? { lastReload: this.lastReload } : {}),
    };
  };

  /** Runs `fn` after every task queued before it: reloads and corpus changes never interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Reloads from disk now (admin route, SIGHUP). Throws, keeping the current engine, if the index is bad. */
  reload(): Promise<ReloadResult> {
    return this.exclusive(() => this.reloadNow());
  }

  /**
   * Loads the published index and swaps it in; only for callers already inside `exclusive` (the documents
   * API reloads right after its own ingest).
   */
  async reloadNow(): Promise<ReloadResult> {
    const t0 = performance.now();
    const at = new Date().toISOString();
    try {
      const engine = this.opts.load
        ? await this.opts.load(this.engine?.embedder)
        : await loadEngine({
            indexDir: this.opts.indexDir,
            modelsDir: this.opts.modelsDir,
            modelId: this.opts.modelId,
            ...(this.opts.createEmbedder ? { createEmbedder: this.opts.createEmbedder } : {}),
            ...(this.engine ? { embedder: this.engine.embedder } : {}),
            graphLater: true,
          });
      this.engine = engine;
      engine.index.graphRead?.then(
        () => this.opts.logger.info({ ms: Math.round(performance.now() - t0) }, 'HNSW graph read; dense search uses it'),
        (err: unknown) =>
          this.opts.logger.error({ error: describeLoadError(err) }, 'HNSW graph unreadable; dense search stays exact'),
      );
      this.lastReload = { ok: true, at };
      const result = {
        generation: path.basename(engine.index.dir),
        documents: engine.index.manifest.counts.documents,
        passages: engine.index.manifest.counts.passages,
        ms: Math.round(performance.now() - t0),
      };
      this.opts.logger.info(result, 'index loaded');
      return result;
    } catch (err) {
      // Without an engine this is the start-up load, which main reports in one line of its own.
      if (this.engine) {
        const error = describeLoadError(err);
        this.lastReload = { ok: false, at, error };
        this.opts.logger.error({ error }, 'index reload failed; still serving the previous index');
      }
      throw err;
    }
  }

  /**
   * Serves `engine`, built by the caller from the index it just published (the documents API applies its
   * own change in memory instead of reading the whole index again); only for callers inside `exclusive`.
   */
  serve(engine: Engine, ms: number): void {
    this.engine = engine;
    this.lastReload = { ok: true, at: new Date().toISOString() };
    const { counts } = engine.index.manifest;
    this.opts.logger.info(
      { generation: path.basename(engine.index.dir), documents: counts.documents, passages: counts.passages, ms },
      'index changed in place',
    );
  }

  /**
   * Watches the folder holding the index link and reloads when an ingest publishes a new generation (the
   * link is renamed over, so the folder changes). Debounced; a link that still points at the generation
   * being served is ignored. Returns a function that stops watching.
   */
  watch(debounceMs = 300): () => void {
    const link = path.resolve(this.opts.indexDir);
    let timer: NodeJS.Timeout | undefined;
    const check = () =>
      this.exclusive(async () => {
        const target = await realpath(link).catch(() => null);
        if (target && target !== this.engine?.index.dir) await this.reloadNow().catch(() => {});
      });
    let watcher: FSWatcher;
    try {
      watcher = watch(path.dirname(link), { persistent: false }, (_, file) => {
        if (file && file !== path.basename(link)) return;
        clearTimeout(timer);
        timer = setTimeout(check, debounceMs);
      });
    } catch (err) {
      this.opts.logger.warn({ error: String(err) }, 'cannot watch the index; reload with SIGHUP instead');
      return () => {};
    }
    watcher.on('error', (err) => this.opts.logger.warn({ error: String(err) }, 'index watch stopped'));
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }
}

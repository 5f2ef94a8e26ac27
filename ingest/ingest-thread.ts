import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { REPO_ROOT } from './model/paths.ts';
import type { Embedder } from './embedder.ts';
import type { ChangeRequest, IndexDelta, Merged } from './incremental-update.ts';
import { IndexError, withIndexLock } from '../store/generations.ts';
import { type CorpusSnapshot, EmptyCorpusError, type IngestOptions, type IngestSummary } from './pipeline.ts';

export interface IngestJob {
  id: number;
  corpusDir: string;
  indexDir: string;
  maxBytes: number;
  modelId: string;
  dimensions: number;
  /**
   * Index this whole corpus, read the corpus folder and index it (the CLI), apply one change to the published
   * index (`IncrementalIndex`), or read that index.
   */
  work:
    | { corpus: CorpusSnapshot }
    | { read: ReadOptions }
    | { change: ChangeRequest }
    | { prepare: true }
    | { merge: true };
}

/** What the thread is started with. */
export interface ThreadData {
  background: boolean;
  /** Int32 flag the caller sets to 1 to stop a merge in progress (`IngestThread.stopMerge`). */
  stopMerge: SharedArrayBuffer;
}

/** The options of an ingest that can cross to the thread (not the embedder or the callbacks). */
export type ReadOptions = Pick<IngestOptions, 'full' | 'chunking' | 'hnsw' | 'batchSize'>;

/** The callbacks of `IngestOptions`, called on the caller's thread. */
export type IngestEvents = Pick<IngestOptions, 'onProgress' | 'onPdfPage' | 'onPlan'>;

export type ProgressEvent =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'pdfPage'; file: string; done: number; total: number }
  | { kind: 'plan'; fullRebuildReason: string | null };

/** A job's outcome: a full ingest's summary, an incremental change's delta (null: it can't be one), a merge's. */
export type JobResult = IngestSummary | IndexDelta | Merged | null;

type Failure = { name: string; message: string; hint?: string };

/** Messages to the worker: a job, or the vectors it asked for. */
export type ToWorker =
  | { type: 'job'; job: IngestJob }
  | { type: 'embedded'; request: number; ok: true; vectors: Float32Array[] }
  | { type: 'embedded'; request: number; ok: false; error: string };

/** Messages from the worker: texts to embed, or a job's outcome. */
export type FromWorker =
  | { type: 'embed'; job: number; request: number; texts: string[] }
  | { type: 'event'; job: number; event: ProgressEvent }
  | { type: 'done'; job: number; ok: true; result: JobResult }
  | { type: 'done'; job: number; ok: false; error: Failure };

/** For jobs that embed nothing. */
const NO_EMBEDDER: Embedder = {
  id: '',
  dimensions: 0,
  embed: () => Promise.reject(new Error('nothing to embed')),
  embedQuery: () => Promise.reject(new Error('nothing to embed')),
};

/** The error the worker threw, as the class callers check for. */
function revive(e: Failure): Error {
  if (e.name === 'EmptyCorpusError') return new EmptyCorpusError(e.message);
  if (e.name === 'IndexError') return new IndexError(e.message, e.hint ?? 'run npm run ingest');
  return new Error(`ingest failed in its worker thread: ${e.message}`);
}

interface Running {
  embedder: Embedder;
  events: IngestEvents;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

/**
 * Runs `ingestLocked` in a worker thread, so the CPU-heavy part of a change (splitting every document into
 * passages, loading the previous vectors, building the HNSW graph, checksumming and writing the index)
 * does not block the event loop that answers requests. Only the new passages' embeddings are computed on
 * the calling thread, batch by batch (onnxruntime-node must not run in two threads at once). One thread,
 * started on first use and kept for the next change; it does not keep the process alive when idle. The
 * caller must hold the index lock, as for `ingestLocked`.
 */
export class IngestThread {
  /**
   * `background`: run the thread at a lower OS priority (the server's writer), so on a busy machine the
   * thread answering requests gets the CPU first; the CLI's ingest runs at normal priority.
   */
  constructor(private readonly opts: { background?: boolean } = {}) {}

  private worker: Worker | null = null;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly jobs = new Map<number, Running>();
  private nextId = 0;
  /** Embedding requests run one after the other, in the order asked. */
  private embedding: Promise<unknown> = Promise.resolve();

  /**
   * Reads the corpus folder and indexes it in the thread (the CLI's ingest): splitting, the HNSW graph and
   * writing run there while `embedder` embeds on this thread, so the two overlap. Hold the index lock.
   */
  ingest(opts: IngestOptions): Promise<IngestSummary> {
    const { embedder, onProgress, onPdfPage, onPlan, full, chunking, hnsw, batchSize } = opts;
    const read: ReadOptions = { full, chunking, hnsw, batchSize };
    for (const k of Object.keys(read) as (keyof ReadOptions)[]) if (read[k] === undefined) delete read[k];
    const where = { corpusDir: opts.corpusDir, indexDir: opts.indexDir, maxBytes: opts.maxBytes };
    return this.post({ ...where, work: { read } }, embedder, { onProgress, onPdfPage, onPlan }) as Promise<IngestSummary>;
  }

  run(job: Omit<IngestJob, 'id' | 'modelId' | 'dimensions' | 'work'> & { corpus: CorpusSnapshot }, embedder: Embedder): Promise<IngestSummary> {
    const { corpus, ...where } = job;
    return this.post({ ...where, work: { corpus } }, embedder) as Promise<IngestSummary>;
  }

  /**
   * Applies one add or delete to the published index and publishes the result (see `IncrementalIndex`,
   * whose state the thread keeps between changes). Null: nothing was written, the caller must ingest in full.
   */
  update(job: Omit<IngestJob, 'id' | 'modelId' | 'dimensions' | 'work'>, change: ChangeRequest, embedder: Embedder): Promise<IndexDelta | null> {
    return this.post({ ...job, work: { change } }, embedder) as Promise<IndexDelta | null>;
  }

  /** Reads the published index into the thread, for the next change (no lock needed: it only reads). */
  async prepare(indexDir: string): Promise<void> {
    await this.post({ corpusDir: '', indexDir, maxBytes: 0, work: { prepare: true } }, NO_EMBEDDER);
  }

  /**
   * Merges the published index's changes into a whole generation (`IncrementalIndex.merge`); `stopMerge`
   * ends it unpublished. Hold the index lock.
   */
  merge(indexDir: string): Promise<Merged | null> {
    Atomics.store(this.stopFlag, 0, 0);
    return this.post({ corpusDir: '', indexDir, maxBytes: 0, work: { merge: true } }, NO_EMBEDDER) as Promise<Merged | null>;
  }

  /** Asks a merge in progress to stop at its next file or chunk, publishing nothing. */
  stopMerge(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  private post(
    job: Omit<IngestJob, 'id' | 'modelId' | 'dimensions'>,
    embedder: Embedder,
    events: IngestEvents = {},
  ): Promise<JobResult> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<JobResult>((resolve, reject) => {
      this.jobs.set(id, { embedder, events, resolve, reject });
      worker.ref();
      const full: IngestJob = { ...job, id, modelId: embedder.id, dimensions: embedder.dimensions };
      worker.postMessage({ type: 'job', job: full } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // A JavaScript entry that registers tsx in the thread, then loads ingest-thread-worker.ts.
    const worker = new Worker(join(REPO_ROOT, 'ingest', 'ingest-thread-boot.mjs'), {
      workerData: { background: this.opts.background ?? false, stopMerge: this.stopFlag.buffer } satisfies ThreadData,
    });
    worker.unref();
    worker.on('message', (msg: FromWorker) => {
      const job = this.jobs.get(msg.job);
      if (!job) return;
      if (msg.type === 'event') {
        const e = msg.event;
        if (e.kind === 'progress') job.events.onProgress?.(e.done, e.total);
        else if (e.kind === 'pdfPage') job.events.onPdfPage?.(e.file, e.done, e.total);
        else job.events.onPlan?.({ fullRebuildReason: e.fullRebuildReason });
        return;
      }
      if (msg.type === 'embed') {
        const embedded = this.embedding.then(() => job.embedder.embed(msg.texts));
        this.embedding = embedded.catch(() => {});
        embedded.then(
          (vectors) => worker.postMessage({ type: 'embedded', request: msg.request, ok: true, vectors } satisfies ToWorker),
          (err: unknown) =>
            worker.postMessage({
              type: 'embedded',
              request: msg.request,
              ok: false,
              error: err instanceof Error ? err.message : String(err),
            } satisfies ToWorker),
        );
        return;
      }
      this.jobs.delete(msg.job);
      if (this.jobs.size === 0) worker.unref();
      if (msg.ok) job.resolve(msg.result);
      else job.reject(revive(msg.error));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const job of this.jobs.values()) job.reject(err);
      this.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the ingest worker thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** `ingest` as the CLI runs it: under the index lock, the CPU-heavy part on a worker thread (see `IngestThread.ingest`). */
export async function ingestInThread(opts: IngestOptions, thread = new IngestThread()): Promise<IngestSummary> {
  return withIndexLock(opts.indexDir, () => thread.ingest(opts));
}

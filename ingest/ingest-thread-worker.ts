/**
 * Worker-thread entry of `IngestThread`: runs `ingestLocked` (splitting every document into passages,
 * loading the previous index for its vectors, building the HNSW graph, checksumming and writing the index)
 * or an incremental add or delete (`IncrementalIndex`) off the caller's event loop. Embedding is asked of the
 * caller's thread (onnxruntime-node must not run in two threads of one process at once), which is also what
 * lets the two overlap. The caller holds the index lock for each job.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Embedder } from './embedder.ts';
import type { FromWorker, IngestJob, ProgressEvent, ReadOptions, ThreadData, ToWorker } from './ingest-thread.ts';
import { IncrementalIndex } from './incremental-update.ts';
import { IndexError } from '../store/generations.ts';
import { type IngestOptions, type IngestSummary, ingestLocked, readCorpus } from './pipeline.ts';

/** Nice value of a background writer (the lowest priority): CFS gives it ~1.5% of a contended core. */
const BACKGROUND_NICE = 19;

const port = parentPort;
if (!port) throw new Error('ingest-thread-worker.ts runs only as a worker thread');

/**
 * A background writer (the server's) lowers its own thread's scheduling priority: on two cores, a
 * whole-generation write (seconds of CPU at 100k passages) otherwise takes CPU time from the thread
 * answering /ask and /health, whose tail latency doubled meanwhile. Linux threads have their own nice value
 * (`/proc/thread-self` names this one); elsewhere the thread keeps the process's priority.
 */
const { background, stopMerge } = workerData as ThreadData;
const stopFlag = new Int32Array(stopMerge);
if (background) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid)) setPriority(tid, BACKGROUND_NICE);
  } catch {
    // Not Linux, or not permitted: the write still happens, at the same priority as serving.
  }
}

/** The published index as of the last change, kept for the next one. */
const incremental = new IncrementalIndex();
let nextRequest = 0;
const waiting = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();

/** An embedder whose work happens on the caller's thread. */
function remoteEmbedder(job: IngestJob): Embedder {
  const embed = (texts: string[]) =>
    new Promise<Float32Array[]>((resolve, reject) => {
      const request = nextRequest++;
      waiting.set(request, { resolve, reject });
      port?.postMessage({ type: 'embed', job: job.id, request, texts } satisfies FromWorker);
    });
  return {
    id: job.modelId,
    dimensions: job.dimensions,
    embed,
    embedQuery: async (text) => (await embed([text]))[0] as Float32Array,
  };
}

/** The CLI's ingest: reads the corpus here (no copy of every text crosses threads), reports progress back. */
async function readAndIngest(job: IngestJob, where: IngestOptions, read: ReadOptions): Promise<IngestSummary> {
  const event = (e: ProgressEvent) => port?.postMessage({ type: 'event', job: job.id, event: e } satisfies FromWorker);
  const t0 = performance.now();
  const corpus = await readCorpus(job.corpusDir, job.maxBytes, (file, done, total) =>
    event({ kind: 'pdfPage', file, done, total }),
  );
  return ingestLocked(
    {
      ...where,
      ...read,
      onPlan: ({ fullRebuildReason }) => event({ kind: 'plan', fullRebuildReason }),
      onProgress: (done, total) => event({ kind: 'progress', done, total }),
    },
    corpus,
    t0,
  );
}

async function runJob(job: IngestJob): Promise<void> {
  let reply: FromWorker;
  const transfer: ArrayBuffer[] = [];
  try {
    const embedder = remoteEmbedder(job);
    const { work } = job;
    const where = { corpusDir: job.corpusDir, indexDir: job.indexDir, maxBytes: job.maxBytes, embedder };
    const result =
      'prepare' in work
        ? await incremental.prepare(job.indexDir)
        : 'change' in work
        ? await incremental.apply(job.indexDir, work.change, embedder)
        : 'merge' in work
        ? await incremental.merge(job.indexDir, () => Atomics.load(stopFlag, 0) === 1)
        : 'read' in work
        ? await readAndIngest(job, where, work.read)
        : await ingestLocked(where, work.corpus);
    reply = { type: 'done', job: job.id, ok: true, result };
    // An incremental change's BM25 index, when asked for (tens of MB at 100k passages), is moved, not copied.
    if (result && 'lexical' in result && result.lexical) transfer.push(result.lexical.buffer);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = {
      type: 'done',
      job: job.id,
      ok: false,
      error: { name: e.name, message: e.message, ...(err instanceof IndexError ? { hint: err.hint } : {}) },
    };
  }
  port?.postMessage(reply, transfer);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'job') {
    void runJob(msg.job);
    return;
  }
  const pending = waiting.get(msg.request);
  waiting.delete(msg.request);
  if (!pending) return;
  if (msg.ok) pending.resolve(msg.vectors);
  else pending.reject(new Error(msg.error));
});

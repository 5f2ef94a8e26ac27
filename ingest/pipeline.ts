import { loadCorpus, type Skipped } from './documents.ts';
import type { Embedder } from './embedder.ts';
import {
  DEFAULT_HNSW,
  hnswBuilder,
  loadIndex,
  readManifest,
  withIndexLock,
  writeIndex,
} from '../store/generations.ts';
import { DEFAULT_CHUNKING, toPassages } from './passages.ts';
import type { Chunking, DocumentRecord, HnswParams, Manifest, Passage } from '../store/format.ts';

export interface IngestOptions {
  corpusDir: string;
  indexDir: string;
  embedder: Embedder;
  maxBytes: number;
  chunking?: Chunking;
  hnsw?: HnswParams;
  /** Re-embed everything even if the previous index could be reused. */
  full?: boolean;
  batchSize?: number;
  /**
   * Documents done (split, embedded and in the HNSW graph) out of all: splitting and embedding overlap, so
   * the number of passages to embed is known only at the end, the number of documents from the start.
   */
  onProgress?: (done: number, total: number) => void;
  /** Progress through the pages of each PDF read (a long one takes a while). */
  onPdfPage?: (file: string, done: number, total: number) => void;
  /** Called when splitting and embedding are about to start; lets a CLI show why a rebuild is full. */
  onPlan?: (plan: { fullRebuildReason: string | null }) => void;
}

export interface IngestSummary {
  documents: number;
  passages: number;
  skipped: Skipped[];
  duplicates: { file: string; sameAs: string }[];
  added: number;
  removed: number;
  unchanged: number;
  embedded: number;
  fullRebuildReason: string | null;
  seconds: number;
  generation: string;
}

/** Embedding calls out at once: enough to keep an embedder on another thread busy while this one splits. */
const MAX_BATCHES_IN_FLIGHT = 4;

export class EmptyCorpusError extends Error {
  override name = 'EmptyCorpusError';
}

/** Same text under two names is indexed once; the later name is reported, not indexed. */
export function dropDuplicates(docs: DocumentRecord[]): {
  unique: DocumentRecord[];
  duplicates: { file: string; sameAs: string }[];
} {
  const seen = new Map<string, DocumentRecord>();
  const duplicates: { file: string; sameAs: string }[] = [];
  const unique = docs.filter((d) => {
    const first = seen.get(d.hash);
    if (first) {
      duplicates.push({ file: d.source, sameAs: first.source });
      return false;
    }
    seen.set(d.hash, d);
    return true;
  });
  return { unique, duplicates };
}

/** Why the previous index's embeddings can't be reused, or null if they can. */
function rebuildReason(prev: Manifest | null, modelId: string, chunking: Chunking): string | null {
  if (!prev) return 'no previous index';
  if (prev.model.id !== modelId) return `embedding model changed (${prev.model.id} → ${modelId})`;
  if (JSON.stringify(prev.chunking) !== JSON.stringify(chunking)) return 'chunking parameters changed';
  return null;
}

/** The corpus folder as ingestion sees it: readable documents (duplicates dropped) and what was skipped. */
export interface CorpusSnapshot {
  documents: DocumentRecord[];
  skipped: Skipped[];
  duplicates: { file: string; sameAs: string }[];
}

/**
 * Reads every document of the corpus folder. Callers hold the index lock: a listing taken outside it could
 * be published after another writer's change and silently undo it.
 */
export async function readCorpus(
  corpusDir: string,
  maxBytes: number,
  onPdfPage?: (file: string, done: number, total: number) => void,
): Promise<CorpusSnapshot> {
  const { documents: loaded, skipped } = await loadCorpus(corpusDir, {
    maxBytes,
    ...(onPdfPage ? { onPage: onPdfPage } : {}),
  }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
        throw new EmptyCorpusError(`corpus folder ${corpusDir} does not exist`);
      }
      throw err;
    },
  );
  const { unique: documents, duplicates } = dropDuplicates(loaded);
  return { documents, skipped, duplicates };
}

/**
 * Reads the corpus, splits it into passages, embeds only passages whose text the current index has not
 * embedded with this model (keyed by content hash), and publishes a new index atomically. The corpus is
 * read and the index published under the index lock, so the CLI, `--watch` and the documents API are one
 * writer at a time and none publishes a stale view of the folder.
 */
export function ingest(opts: IngestOptions): Promise<IngestSummary> {
  return withIndexLock(opts.indexDir, async () => {
    const t0 = performance.now();
    return ingestLocked(opts, await readCorpus(opts.corpusDir, opts.maxBytes, opts.onPdfPage), t0);
  });
}

/** Indexes `corpus` and publishes it; only for callers holding the index lock (see `withIndexLock`). */
export async function ingestLocked(
  opts: IngestOptions,
  corpus: CorpusSnapshot,
  t0 = performance.now(),
): Promise<IngestSummary> {
  const chunking = opts.chunking ?? DEFAULT_CHUNKING;
  const hnswParams = opts.hnsw ?? DEFAULT_HNSW;
  const { documents, skipped, duplicates } = corpus;
  if (documents.length === 0) {
    throw new EmptyCorpusError(
      `no documents to index in ${opts.corpusDir} (${skipped.length} file(s) skipped); add .txt, .md, .html, .pdf or .docx files`,
    );
  }
  const prevManifest = await readManifest(opts.indexDir);
  const reason = opts.full
    ? 'full rebuild requested'
    : rebuildReason(prevManifest, opts.embedder.id, chunking);
  const cache = new Map<string, Float32Array>();
  if (!reason) {
    const prev = await loadIndex(opts.indexDir).catch(() => null);
    prev?.passages.forEach((p, i) => {
      cache.set(p.hash, prev.vectors[i] as Float32Array);
    });
  }
  const prevHashes = new Set(cache.keys());
  opts.onPlan?.({ fullRebuildReason: reason });

  // Splitting, embedding and the HNSW insertions overlap: when the embedder runs on another thread (the CLI
  // runs this in a worker and embeds on its main thread), this thread splits the next documents and inserts
  // the vectors that came back meanwhile, so the two cores work at once. Passages enter the graph in
  // document order (label = position), as soon as they and every passage before them have a vector.
  const passages: Passage[] = [];
  const docEnds: number[] = [];
  const graph = hnswBuilder(opts.embedder.dimensions, hnswParams, documents.length * 4);
  let inGraph = 0;
  let docsDone = 0;
  const insertReady = () => {
    for (let v = cache.get(passages[inGraph]?.hash as string); v; v = cache.get(passages[inGraph]?.hash as string)) {
      graph.add(v);
      inGraph++;
    }
    const before = docsDone;
    while (docsDone < docEnds.length && (docEnds[docsDone] as number) <= inGraph) docsDone++;
    if (docsDone > before) opts.onProgress?.(docsDone, documents.length);
  };
  const queued = new Set<string>();
  let batch: Passage[] = [];
  let embedded = 0;
  const inFlight: Promise<void>[] = [];
  const send = async () => {
    const texts = batch.map((p) => p.text);
    const hashes = batch.map((p) => p.hash);
    batch = [];
    const done = opts.embedder.embed(texts).then((vectors) => {
      hashes.forEach((h, j) => {
        cache.set(h, vectors[j] as Float32Array);
      });
      embedded += hashes.length;
      insertReady();
    });
    // Awaited below in order; marked handled now so a later batch failing first is not an unhandled rejection.
    done.catch(() => {});
    inFlight.push(done);
    // A few batches ahead of the embedder, never the whole corpus: texts wait in memory only that long.
    if (inFlight.length >= MAX_BATCHES_IN_FLIGHT) await inFlight.shift();
  };
  const batchSize = opts.batchSize ?? 256;
  opts.onProgress?.(0, documents.length);
  for (const d of documents) {
    for (const p of toPassages(d, chunking)) {
      passages.push(p);
      if (cache.has(p.hash) || queued.has(p.hash)) continue;
      queued.add(p.hash);
      batch.push(p);
    }
    docEnds.push(passages.length);
    if (batch.length >= batchSize) await send();
    else insertReady();
  }
  if (batch.length) await send();
  for (const done of inFlight.splice(0)) await done;
  insertReady();

  const vectors = passages.map((p) => cache.get(p.hash) as Float32Array);
  const hnsw = graph.finish();
  const perDoc = new Map<string, number>();
  for (const p of passages) perDoc.set(p.docId, (perDoc.get(p.docId) ?? 0) + 1);
  const manifest: Manifest = {
    formatVersion: 1,
    model: { id: opts.embedder.id, dimensions: opts.embedder.dimensions },
    chunking,
    hnsw: hnswParams,
    documents: documents.map((d) => ({
      docId: d.docId,
      source: d.source,
      hash: d.hash,
      passages: perDoc.get(d.docId) ?? 0,
    })),
    counts: { documents: documents.length, passages: passages.length },
    createdAt: new Date().toISOString(),
  };
  const generation = await writeIndex(opts.indexDir, { manifest, documents, passages, vectors }, hnsw);
  const currentHashes = new Set(passages.map((p) => p.hash));
  const unchanged = passages.filter((p) => prevHashes.has(p.hash)).length;
  return {
    documents: documents.length,
    passages: passages.length,
    skipped,
    duplicates,
    added: passages.length - unchanged,
    removed: [...prevHashes].filter((h) => !currentHashes.has(h)).length,
    unchanged,
    embedded,
    fullRebuildReason: reason,
    seconds: (performance.now() - t0) / 1000,
    generation,
  };
}

import { loadCorpus, type Skipped } from './documents.ts';
import type { Embedder } from './embedder.ts';
import {
  buildHnsw,
  DEFAULT_HNSW,
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
  onProgress?: (done: number, total: number) => void;
  /** Progress through the pages of each PDF read (a long one takes a while). */
  onPdfPage?: (file: string, done: number, total: number) => void;
  /** Called when embedding is about to start; lets a CLI show why a rebuild is full. */
  onPlan?: (plan: { toEmbed: number; reused: number; fullRebuildReason: string | null }) => void;
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
  const passages: Passage[] = documents.flatMap((d) => toPassages(d, chunking));

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
  const missing = [...new Set(passages.map((p) => p.hash).filter((h) => !cache.has(h)))];
  const textByHash = new Map(passages.map((p) => [p.hash, p.text]));
  opts.onPlan?.({
    toEmbed: missing.length,
    reused: passages.length - missing.length,
    fullRebuildReason: reason,
  });

  const batch = opts.batchSize ?? 256;
  opts.onProgress?.(0, missing.length);
  for (let i = 0; i < missing.length; i += batch) {
    const hashes = missing.slice(i, i + batch);
    const vectors = await opts.embedder.embed(hashes.map((h) => textByHash.get(h) as string));
    hashes.forEach((h, j) => {
      cache.set(h, vectors[j] as Float32Array);
    });
    opts.onProgress?.(Math.min(i + batch, missing.length), missing.length);
  }

  const vectors = passages.map((p) => cache.get(p.hash) as Float32Array);
  const hnsw = buildHnsw(vectors, opts.embedder.dimensions, hnswParams);
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
    embedded: missing.length,
    fullRebuildReason: reason,
    seconds: (performance.now() - t0) / 1000,
    generation,
  };
}

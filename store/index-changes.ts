import { lexicalTexts } from './lexical/lexical-index.ts';
import type { HnswIndex } from './generations.ts';
import type { DocumentRecord, Manifest, Passage } from './format.ts';

/**
 * Adds and deletes applied to an index in memory, by the writer (ingest/incremental-update.ts) and by every
 * reader of a generation that records them (`changes.jsonl`, replayed on top of the files it links from the
 * generation before): positions in the passage list shift as in a rebuild, the HNSW graph gets `addPoint` /
 * `markDelete` under stable labels, BM25 gets a layer (store/lexical/live-postings.ts).
 */

/** A document added (with its passages and their embeddings, rows of `dimensions` floats) or removed by id. */
export type LoggedChange =
  | { add: { record: DocumentRecord; passages: Passage[]; vectors: Float32Array } }
  | { remove: string };

/** The parts of an index a change touches but BM25 (`LayeredPostings.over`). `labels[i]` is passage i's HNSW label. */
export interface IndexRows {
  manifest: Manifest;
  documents: DocumentRecord[];
  passages: Passage[];
  vectors: Float32Array[];
  labels: Uint32Array;
}

/** Where a change happened: the document's position, its first passage's, how many passages left. */
export interface ChangeSite {
  document: number;
  passage: number;
  removed: number;
  /** The added passages' HNSW labels. */
  labels: Uint32Array | null;
  /** What the added passages are indexed as by BM25 (`lexicalText`). */
  texts: string[];
  /** What the removed passages were indexed as. */
  removedTexts: string[];
}

/** Documents are kept in source order (as `readCorpus` lists them), so positions match a full rebuild. */
const before = (a: DocumentRecord, b: DocumentRecord) => a.source < b.source;

/**
 * Applies `change` to `rows` (returned anew; the arrays given are not modified) and to `hnsw` (modified in
 * place); BM25 is the caller's to change at the returned site. Null when the change does not apply (the
 * document to remove is not there).
 */
export function applyChange(
  rows: IndexRows,
  change: LoggedChange,
  hnsw: HnswIndex,
): { rows: IndexRows; site: ChangeSite } | null {
  const { manifest, documents, passages, vectors, labels } = rows;
  const firstPassage = (doc: number) => manifest.documents.slice(0, doc).reduce((n, d) => n + d.passages, 0);
  const dims = manifest.model.dimensions;
  let next: Omit<IndexRows, 'manifest' | 'lexical'> & { entries: Manifest['documents'] };
  let site: ChangeSite;
  if ('remove' in change) {
    const doc = documents.findIndex((d) => d.docId === change.remove);
    if (doc < 0) return null;
    const at = firstPassage(doc);
    const removed = manifest.documents[doc]?.passages ?? 0;
    for (const label of labels.subarray(at, at + removed)) hnsw.markDelete(label);
    const removedTexts = [...lexicalTexts(passages.slice(at, at + removed), documents.slice(doc, doc + 1))];
    site = { document: doc, passage: at, removed, labels: null, texts: [], removedTexts };
    next = {
      documents: spliced(documents, doc, 1),
      passages: spliced(passages, at, removed),
      vectors: spliced(vectors, at, removed),
      labels: spliceU32(labels, at, removed, null),
      entries: spliced(manifest.documents, doc, 1),
    };
  } else {
    const { record, passages: added, vectors: flat } = change.add;
    let doc = documents.findIndex((d) => before(record, d));
    if (doc < 0) doc = documents.length;
    const at = firstPassage(doc);
    const rowVectors = added.map((_, i) => flat.subarray(i * dims, (i + 1) * dims));
    // Labels are never reused: the graph's points are 0 .. count-1, deleted ones included.
    const first = hnsw.getCurrentCount();
    const newLabels = Uint32Array.from(added, (_, i) => first + i);
    if (first + added.length > hnsw.getMaxElements()) {
      hnsw.resizeIndex(Math.max(first + added.length, Math.ceil(hnsw.getMaxElements() * 1.25)));
    }
    rowVectors.forEach((v, i) => {
      hnsw.addPoint(Array.from(v), newLabels[i] as number);
    });
    site = {
      document: doc,
      passage: at,
      removed: 0,
      labels: newLabels,
      texts: [...lexicalTexts(added, [record])],
      removedTexts: [],
    };
    next = {
      documents: spliced(documents, doc, 0, [record]),
      passages: spliced(passages, at, 0, added),
      vectors: spliced(vectors, at, 0, rowVectors),
      labels: spliceU32(labels, at, 0, newLabels),
      entries: spliced(manifest.documents, doc, 0, [{
        docId: record.docId,
        source: record.source,
        hash: record.hash,
        passages: added.length,
      }]),
    };
  }
  const { entries, ...arrays } = next;
  return {
    rows: {
      ...arrays,
      manifest: {
        ...manifest,
        documents: entries,
        counts: { documents: arrays.documents.length, passages: arrays.passages.length },
      },
    },
    site,
  };
}

/**
 * `a.toSpliced(at, remove, ...insert)` (for arrays of non-arrays: `concat` spreads arrays) by `slice` and
 * `concat`: `toSpliced` took 4–7 ms over the 100k
 * passages of the serving thread's index, these 1 ms.
 */
function spliced<T>(a: T[], at: number, remove: number, insert: T[] = []): T[] {
  return a.slice(0, at).concat(insert, a.slice(at + remove));
}

/** `a` with `remove` entries cut at `at` and `insert` put there. */
export function spliceU32(a: Uint32Array, at: number, remove: number, insert: Uint32Array | null): Uint32Array {
  const n = insert?.length ?? 0;
  const out = new Uint32Array(a.length - remove + n);
  out.set(a.subarray(0, at));
  if (insert) out.set(insert, at);
  out.set(a.subarray(at + remove), at + n);
  return out;
}

/** The identity labels of a graph built by `buildHnsw` (label = position). */
export function identityLabels(n: number): Uint32Array {
  const labels = new Uint32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i;
  return labels;
}

/** One line of changes.jsonl (vectors as base64 of their little-endian floats). */
export function encodeChange(change: LoggedChange): string {
  if ('remove' in change) return JSON.stringify(change);
  const { vectors, ...rest } = change.add;
  return JSON.stringify({
    add: { ...rest, vectors: Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength).toString('base64') },
  });
}

export function decodeChange(line: string): LoggedChange {
  const v = JSON.parse(line) as { remove: string } | { add: { record: DocumentRecord; passages: Passage[]; vectors: string } };
  if ('remove' in v) return { remove: v.remove };
  const bytes = Buffer.from(v.add.vectors, 'base64');
  const vectors = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { add: { ...v.add, vectors } };
}

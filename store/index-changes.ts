import type { Bm25Index } from './lexical/bm25.ts';
import { lexicalIndex, lexicalTexts } from './lexical/lexical-index.ts';
import { terms } from './lexical/words.ts';
import type { HnswIndex } from './generations.ts';
import type { DocumentRecord, Manifest, Passage } from './format.ts';

/**
 * Adds and deletes applied to an index in memory, by the writer (ingest/incremental-update.ts) and by every
 * reader of a generation that records them (`changes.jsonl`, replayed on top of the files it links from the
 * generation before): positions in the passage list shift as in a rebuild, the HNSW graph gets `addPoint` /
 * `markDelete` under stable labels, BM25 postings are spliced.
 */

/** A document added (with its passages and their embeddings, rows of `dimensions` floats) or removed by id. */
export type LoggedChange =
  | { add: { record: DocumentRecord; passages: Passage[]; vectors: Float32Array } }
  | { remove: string };

/** The parts of an index a change touches but BM25 (see `spliceLexical`). `labels[i]` is passage i's HNSW label. */
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
}

/** Documents are kept in source order (as `readCorpus` lists them), so positions match a full rebuild. */
const before = (a: DocumentRecord, b: DocumentRecord) => a.source < b.source;

/**
 * Applies `change` to `rows` (returned anew; the arrays given are not modified) and to `hnsw` (modified in
 * place); BM25 is the caller's to splice at the returned site. Null when the change does not apply (the
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
    site = { document: doc, passage: at, removed, labels: null, texts: [] };
    next = {
      documents: documents.toSpliced(doc, 1),
      passages: passages.toSpliced(at, removed),
      vectors: vectors.toSpliced(at, removed),
      labels: spliceU32(labels, at, removed, null),
      entries: manifest.documents.toSpliced(doc, 1),
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
    site = { document: doc, passage: at, removed: 0, labels: newLabels, texts: [...lexicalTexts(added, [record])] };
    next = {
      documents: documents.toSpliced(doc, 0, record),
      passages: passages.toSpliced(at, 0, ...added),
      vectors: vectors.toSpliced(at, 0, ...rowVectors),
      labels: spliceU32(labels, at, 0, newLabels),
      entries: manifest.documents.toSpliced(doc, 0, {
        docId: record.docId,
        source: record.source,
        hash: record.hash,
        passages: added.length,
      }),
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

/**
 * The BM25 index with the change at `site` applied: its passages cut out, the added ones inserted (later
 * passages' positions shift), as `buildLexical` would build it over the new passage list: the same postings
 * per term, lengths, document frequencies and norms. A term left without passages leaves the vocabulary.
 */
export function spliceLexical(index: Bm25Index, site: ChangeSite): Bm25Index {
  const { passage: at, removed: remove, texts } = site;
  const shift = texts.length - remove;
  const lengths = new Uint32Array(index.count + shift);
  lengths.set(index.lengths.subarray(0, at));
  lengths.set(index.lengths.subarray(at + remove), at + texts.length);
  // The new passages' [position, tf] pairs, per term, in passage order.
  const inserted = new Map<string, number[]>();
  texts.forEach((text, i) => {
    const ts = terms(text);
    lengths[at + i] = ts.length;
    const tf = new Map<string, number>();
    for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      let list = inserted.get(t);
      if (!list) {
        list = [];
        inserted.set(t, list);
      }
      list.push(at + i, n);
    }
  });
  let size = 0;
  for (const [, list] of index.postings.entries()) size += list.length;
  for (const list of inserted.values()) size += list.length;
  const flat = new Uint32Array(size);
  const vocabulary: string[] = [];
  const ends: number[] = [0];
  let w = 0;
  const put = (term: string, list: Uint32Array | undefined, extra: number[] | undefined) => {
    const start = w;
    let j = 0;
    // Postings before the change keep their positions, the new passages' come next, then the rest shifted.
    for (; list && j < list.length && (list[j] as number) < at; j += 2) {
      flat[w++] = list[j] as number;
      flat[w++] = list[j + 1] as number;
    }
    if (extra) for (const v of extra) flat[w++] = v;
    for (; list && j < list.length; j += 2) {
      const doc = list[j] as number;
      if (doc < at + remove) continue;
      flat[w++] = doc + shift;
      flat[w++] = list[j + 1] as number;
    }
    if (w === start) return;
    vocabulary.push(term);
    ends.push(w / 2);
  };
  for (const [term, list] of index.postings.entries()) put(term, list, inserted.get(term));
  for (const [term, extra] of inserted) if (!index.postings.has(term)) put(term, undefined, extra);
  return lexicalIndex(vocabulary, Uint32Array.from(ends), flat.subarray(0, w), lengths);
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

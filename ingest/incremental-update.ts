import { realpath } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import type { Bm25Index } from '../server/bm25.ts';
import { buildLexical, decodeLexicalFile, encodeLexical, lexicalIndex, lexicalTexts, registerLexical } from '../server/lexical.ts';
import { initialismsOf } from '../server/qa/initialisms.ts';
import { terms } from '../server/text.ts';
import type { Embedder } from './embedder.ts';
import { FILES, type HnswIndex, type LoadedIndex, loadIndex, readManifest, writeIndex } from './index-store.ts';
import { DEFAULT_CHUNKING, toPassages } from './passages.ts';
import type { DocumentRecord, Manifest, Passage } from './types.ts';

/** One document added (read and cleaned by the caller) or removed by id. */
export type IndexChange = { add: DocumentRecord } | { remove: string };

/**
 * What an incremental change published, for the serving thread to apply to the index it holds without
 * reading the generation's large files: the spliced-in or cut-out rows, the new lexical index's bytes.
 */
export interface IndexDelta {
  generation: string;
  manifest: Pick<Manifest, 'createdAt' | 'files' | 'lexical'>;
  /** Where the document's rows are (or were): its position among the documents, its first passage's. */
  at: { document: number; passage: number };
  /** The removed document's passage count. */
  removed: number;
  added: { record: DocumentRecord; passages: Passage[]; vectors: Float32Array; labels: Uint32Array } | null;
  /** lexical.bin as written. */
  lexical: Uint8Array;
}

/** Documents are kept in source order (as `readCorpus` lists them), so positions match a full rebuild. */
const before = (a: DocumentRecord, b: DocumentRecord) => a.source < b.source;

/**
 * The published index held in memory between changes (in the ingest worker thread), so an add or delete
 * costs the change, not a reload and a rebuild: the HNSW graph gets `addPoint` / `markDelete`, BM25 postings
 * get the document's pairs added or cut out, and a complete generation is written and published as by a
 * full ingest (a crash leaves the old or the new index). Deleted points stay in the graph, marked deleted,
 * until a full `npm run ingest` rebuilds it.
 */
export class IncrementalIndex {
  private index: LoadedIndex | null = null;
  /** Each document's initialisms, so the corpus's can be recomputed without scanning every text. */
  private initialismsByDoc = new Map<string, Map<string, string[]>>();

  /**
   * Applies `change` to the published index at `indexDir` and publishes the result. Returns null (nothing
   * written) when the change can't be incremental: the index was built with other settings or is unreadable.
   * The caller holds the index lock.
   */
  async apply(indexDir: string, change: IndexChange, embedder: Embedder): Promise<IndexDelta | null> {
    try {
      return await this.applyTo(indexDir, change, embedder);
    } catch (err) {
      // The graph may hold part of the change: read the published index again next time.
      this.index = null;
      throw err;
    }
  }

  private async applyTo(indexDir: string, change: IndexChange, embedder: Embedder): Promise<IndexDelta | null> {
    const current = await this.current(indexDir);
    if (!current || current.manifest.model.id !== embedder.id) return null;
    if (JSON.stringify(current.manifest.chunking) !== JSON.stringify(DEFAULT_CHUNKING)) return null;
    const { documents, passages, vectors, hnsw, manifest } = current;
    const labels = current.labels ?? Uint32Array.from(passages, (_, i) => i);
    let lexical = current.lexical ?? buildLexical(lexicalTexts(passages, documents));
    const firstPassage = (doc: number) =>
      manifest.documents.slice(0, doc).reduce((n, d) => n + d.passages, 0);

    let at: IndexDelta['at'];
    let removed = 0;
    let added: IndexDelta['added'] = null;
    let next: Pick<LoadedIndex, 'documents' | 'passages' | 'vectors'> & { labels: Uint32Array; docs: Manifest['documents'] };
    if ('remove' in change) {
      const doc = documents.findIndex((d) => d.docId === change.remove);
      if (doc < 0) return null;
      at = { document: doc, passage: firstPassage(doc) };
      removed = manifest.documents[doc]?.passages ?? 0;
      for (const label of labels.subarray(at.passage, at.passage + removed)) hnsw.markDelete(label);
      lexical = spliceLexical(lexical, at.passage, removed, []);
      this.initialismsByDoc.delete(change.remove);
      next = {
        documents: documents.toSpliced(doc, 1),
        passages: passages.toSpliced(at.passage, removed),
        vectors: vectors.toSpliced(at.passage, removed),
        labels: spliceU32(labels, at.passage, removed, null),
        docs: manifest.documents.toSpliced(doc, 1),
      };
    } else {
      const record = change.add;
      let doc = documents.findIndex((d) => before(record, d));
      if (doc < 0) doc = documents.length;
      at = { document: doc, passage: firstPassage(doc) };
      const rows = toPassages(record, DEFAULT_CHUNKING);
      const embedded = await embedder.embed(rows.map((p) => p.text));
      const dims = manifest.model.dimensions;
      const flat = new Float32Array(rows.length * dims);
      embedded.forEach((v, i) => {
        flat.set(v, i * dims);
      });
      const rowVectors = rows.map((_, i) => flat.subarray(i * dims, (i + 1) * dims));
      // Labels are never reused: the graph grows by the new points, resized when full.
      const first = hnsw.getCurrentCount();
      const newLabels = Uint32Array.from(rows, (_, i) => first + i);
      if (first + rows.length > hnsw.getMaxElements()) {
        hnsw.resizeIndex(Math.max(first + rows.length, Math.ceil(hnsw.getMaxElements() * 1.25)));
      }
      rowVectors.forEach((v, i) => {
        hnsw.addPoint(Array.from(v), newLabels[i] as number);
      });
      const context = [...lexicalTexts(rows, [record])];
      lexical = spliceLexical(lexical, at.passage, 0, context);
      this.initialismsByDoc.set(record.docId, initialismsOf([record]));
      added = { record, passages: rows, vectors: flat, labels: newLabels };
      next = {
        documents: documents.toSpliced(doc, 0, record),
        passages: passages.toSpliced(at.passage, 0, ...rows),
        vectors: vectors.toSpliced(at.passage, 0, ...rowVectors),
        labels: spliceU32(labels, at.passage, 0, newLabels),
        docs: manifest.documents.toSpliced(doc, 0, {
          docId: record.docId,
          source: record.source,
          hash: record.hash,
          passages: rows.length,
        }),
      };
    }
    const initialisms = unionOf(next.documents.map((d) => this.initialismsByDoc.get(d.docId) ?? new Map()));
    const nextManifest: Manifest = {
      ...manifest,
      documents: next.docs,
      counts: { documents: next.documents.length, passages: next.passages.length },
      createdAt: new Date().toISOString(),
    };
    const generation = await writeIndex(
      indexDir,
      { manifest: nextManifest, documents: next.documents, passages: next.passages, vectors: next.vectors, lexical, labels: next.labels, initialisms },
      hnsw,
    );
    // writeIndex published with the files' checksums: read them back from what it wrote.
    const written = await readManifest(generation);
    if (!written) throw new Error(`the generation just written has no readable manifest: ${generation}`);
    this.index = {
      ...current,
      manifest: written,
      documents: next.documents,
      passages: next.passages,
      vectors: next.vectors,
      labels: next.labels,
      lexical,
      dir: generation,
    };
    return {
      generation,
      manifest: { createdAt: written.createdAt, files: written.files, lexical: written.lexical },
      at,
      removed,
      added,
      lexical: concat(encodeLexical(lexical, initialisms)),
    };
  }

  /** The published index, loaded once and kept while no other writer publishes another. */
  private async current(indexDir: string): Promise<LoadedIndex | null> {
    const published = await realpath(indexDir).catch(() => null);
    if (!published) return null;
    if (this.index?.dir !== published) {
      this.index = null;
      const loaded = await loadIndex(indexDir).catch(() => null);
      if (!loaded) return null;
      this.initialismsByDoc = new Map(loaded.documents.map((d) => [d.docId, initialismsOf([d])]));
      this.index = loaded;
    }
    return this.index;
  }
}

/** `a` with `remove` entries cut at `at` and `insert` put there. */
function spliceU32(a: Uint32Array, at: number, remove: number, insert: Uint32Array | null): Uint32Array {
  const n = insert?.length ?? 0;
  const out = new Uint32Array(a.length - remove + n);
  out.set(a.subarray(0, at));
  if (insert) out.set(insert, at);
  out.set(a.subarray(at + remove), at + n);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** `initialismsOf` all documents, from each one's own: the same map, in the same order. */
function unionOf(perDoc: Map<string, string[]>[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const doc of perDoc) {
    for (const [initials, stems] of doc) {
      let set = out.get(initials);
      if (!set) {
        set = new Set();
        out.set(initials, set);
      }
      for (const s of stems) set.add(s);
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

/**
 * The BM25 index with passages `at .. at + remove` cut out and `texts` inserted at `at` (later passages'
 * positions shift), as `buildLexical` would build it over the new passage list: the same postings per term,
 * lengths, document frequencies and norms. A term left without passages leaves the vocabulary.
 */
export function spliceLexical(index: Bm25Index, at: number, remove: number, texts: string[]): Bm25Index {
  const shift = texts.length - remove;
  const lengths = new Uint32Array(index.count + shift);
  lengths.set(index.lengths.subarray(0, at));
  lengths.set(index.lengths.subarray(at + remove), at + texts.length);
  // The new passages' [term, tf] pairs, per term, in passage order.
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
  for (const list of index.postings.values()) size += list.length;
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
  for (const [term, list] of index.postings) put(term, list, inserted.get(term));
  for (const [term, extra] of inserted) if (!index.postings.has(term)) put(term, undefined, extra);
  return lexicalIndex(vocabulary, Uint32Array.from(ends), flat.subarray(0, w), lengths);
}

/**
 * The serving thread's side: the index it serves with `delta` applied, without reading the new
 * generation's passages, documents or vectors (they are spliced in memory). The HNSW graph is read from the
 * published generation (off the event loop); the lexical index is decoded from the bytes the writer sent.
 */
export async function applyDelta(index: LoadedIndex, delta: IndexDelta): Promise<LoadedIndex> {
  const hnsw: HnswIndex = new hnswlib.HierarchicalNSW(index.manifest.hnsw.space, index.manifest.model.dimensions);
  await hnsw.readIndex(path.join(delta.generation, FILES.hnsw));
  hnsw.setEf(index.manifest.hnsw.efSearch);
  const { at, removed, added } = delta;
  const labels = index.labels ?? Uint32Array.from(index.passages, (_, i) => i);
  const dims = index.manifest.model.dimensions;
  const rowVectors = added
    ? Array.from({ length: added.passages.length }, (_, i) => added.vectors.subarray(i * dims, (i + 1) * dims))
    : [];
  const docEntry = added && {
    docId: added.record.docId,
    source: added.record.source,
    hash: added.record.hash,
    passages: added.passages.length,
  };
  const passages = index.passages.toSpliced(at.passage, removed, ...(added?.passages ?? []));
  const documents = index.documents.toSpliced(at.document, added ? 0 : 1, ...(added ? [added.record] : []));
  const docs = index.manifest.documents.toSpliced(at.document, added ? 0 : 1, ...(docEntry ? [docEntry] : []));
  const { index: lexical, initialisms } = decodeLexicalFile(delta.lexical);
  registerLexical(passages, lexical, initialisms);
  return {
    manifest: {
      ...index.manifest,
      ...delta.manifest,
      documents: docs,
      counts: { documents: documents.length, passages: passages.length },
    },
    documents,
    passages,
    vectors: index.vectors.toSpliced(at.passage, removed, ...rowVectors),
    hnsw,
    lexical,
    labels: spliceU32(labels, at.passage, removed, added?.labels ?? null),
    dir: delta.generation,
  };
}

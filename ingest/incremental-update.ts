import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  buildLexical,
  decodeLexicalYielding,
  lexicalBytes,
  lexicalTexts,
  persistedInitialisms,
  registerLexical,
} from '../store/lexical/lexical-index.ts';
import { initialismsOf } from '../store/lexical/initialisms.ts';
import { compactLexical, LayeredPostings } from '../store/lexical/live-postings.ts';
import type { Embedder } from './embedder.ts';
import {
  applyChange,
  type ChangeSite,
  encodeChange,
  identityLabels,
  type IndexRows,
  type LoggedChange,
} from '../store/index-changes.ts';
import {
  FILES,
  type LoadedIndex,
  loadIndex,
  readManifest,
  writeChangedIndex,
  writeIndex,
  WriteStopped,
} from '../store/generations.ts';
import { DEFAULT_CHUNKING, toPassages } from './passages.ts';
import type { DocumentRecord, Manifest } from '../store/format.ts';

/** One document added (read and cleaned by the caller) or removed by id. */
export type IndexChange = { add: DocumentRecord } | { remove: string };

/**
 * Changes a generation may carry before a merge into a whole generation is due: each is replayed by every
 * load of the index. The merge (seconds at 100k passages) runs when writes pause (`merge`), so no add or
 * delete waits for it.
 */
export const MERGE_DUE = 16;

/** Changes past which a change is itself written as a whole generation: for a writer that never pauses. */
const MAX_CHANGES = 64;

/**
 * What an incremental change published, for the serving thread to apply to the index it serves without
 * reading the generation: the change itself, where the writer applied it, the initialisms it changed and,
 * when asked for, the new BM25 index.
 */
export interface IndexDelta {
  generation: string;
  /** The new manifest but its list of documents (the serving side has the list and the change). */
  manifest: Omit<Manifest, 'documents'>;
  change: LoggedChange;
  site: ChangeSite;
  /** Initials whose full names changed, with their stems now (null: no longer in the corpus). */
  initialisms: Array<[string, string[] | null]>;
  /**
   * The BM25 index after the change, as lexical.bin's bytes (`lexicalBytes`), transferred by the worker
   * thread, when the serving side asked for it (`wholeLexical`) to replace a layer grown large; else null.
   */
  lexical: Uint8Array<ArrayBuffer> | null;
  /** The new generation carries MERGE_DUE changes or more: merge it when writes pause. */
  mergeDue: boolean;
}

/** A merge's outcome: the whole generation now published, the same index as before. */
export interface Merged {
  generation: string;
  manifest: Manifest;
}

/** What the serving side asks of a change besides applying it. */
export interface ChangeRequest {
  change: IndexChange;
  /** Send the whole BM25 index (`IndexDelta.lexical`): the served one is a layer due for compaction. */
  wholeLexical: boolean;
}

/**
 * The published index held in memory between changes (in the ingest worker thread), so an add or delete
 * costs the change, not a reload and a rebuild: the HNSW graph gets `addPoint` / `markDelete`, BM25 postings
 * get the document's pairs added or cut out. The new generation links the large files of the previous one
 * and records the changes since them (`changes.jsonl`); every MAX_CHANGES changes one is written whole
 * (deleted points stay in its graph, marked deleted, until a full `npm run ingest`). Published as a full
 * ingest publishes: a crash leaves the old or the new index.
 */
export class IncrementalIndex {
  private index: LoadedIndex | null = null;
  /** A read of the published index in progress (`prepare` and the first change may ask at once). */
  private loading: Promise<LoadedIndex | null> | null = null;
  /** Each document's initialisms, so the corpus's can be recomputed without scanning every text. */
  private initialismsByDoc = new Map<string, Map<string, string[]>>();

  /**
   * Applies `change` to the published index at `indexDir` and publishes the result. Returns null (nothing
   * written) when the change can't be incremental: the index was built with other settings or is unreadable.
   * The caller holds the index lock.
   */
  async apply(indexDir: string, request: ChangeRequest, embedder: Embedder): Promise<IndexDelta | null> {
    try {
      return await this.applyTo(indexDir, request, embedder);
    } catch (err) {
      // The graph may hold part of the change: read the published index again next time.
      this.index = null;
      throw err;
    }
  }

  private async applyTo(
    indexDir: string,
    { change: request, wholeLexical }: ChangeRequest,
    embedder: Embedder,
  ): Promise<IndexDelta | null> {
    const current = await this.current(indexDir);
    if (!current || current.manifest.model.id !== embedder.id) return null;
    if (JSON.stringify(current.manifest.chunking) !== JSON.stringify(DEFAULT_CHUNKING)) return null;
    let change: LoggedChange;
    if ('remove' in request) change = request;
    else {
      const { add: record } = request;
      const passages = toPassages(record, DEFAULT_CHUNKING);
      const dims = current.manifest.model.dimensions;
      const vectors = new Float32Array(passages.length * dims);
      (await embedder.embed(passages.map((p) => p.text))).forEach((v, i) => {
        vectors.set(v, i * dims);
      });
      change = { add: { record, passages, vectors } };
    }
    const rows: IndexRows = { ...current, labels: current.labels ?? identityLabels(current.passages.length) };
    const applied = applyChange(rows, change, current.hnsw);
    if (!applied) return null;
    const next = applied.rows;
    let lexical = LayeredPostings.over(
      current.lexical ?? buildLexical(lexicalTexts(current.passages, current.documents)),
      applied.site,
    );
    // The document's own initialisms are the only ones whose full names can change.
    let own: Map<string, string[]>;
    if ('remove' in change) {
      own = this.initialismsByDoc.get(change.remove) ?? new Map();
      this.initialismsByDoc.delete(change.remove);
    } else {
      own = initialismsOf([change.add.record]);
      this.initialismsByDoc.set(change.add.record.docId, own);
    }
    const initialisms = unionOf(next.documents.map((d) => this.initialismsByDoc.get(d.docId) ?? new Map()));
    const changedInitialisms = [...own.keys()].map((k) => [k, initialisms.get(k) ?? null] as [string, string[] | null]);

    const { manifest } = current;
    const logged = manifest.changes
      ? (await readFile(path.join(current.dir, manifest.changes.file), 'utf8')).split('\n').filter(Boolean).slice(1)
      : [];
    const stamped = { ...next.manifest, createdAt: new Date().toISOString() };
    let generation: string;
    const whole = logged.length + 1 > MAX_CHANGES;
    // Written whole or sent whole: the layer is merged into flat postings, which this thread keeps too.
    if (whole || wholeLexical) lexical = compactLexical(lexical);
    if (whole) {
      generation = await writeIndex(
        indexDir,
        { ...next, manifest: stamped, lexical, initialisms },
        current.hnsw,
      );
    } else {
      const lines = [JSON.stringify({ initialisms: [...initialisms] }), ...logged, encodeChange(change)];
      generation = await writeChangedIndex(
        indexDir,
        current.dir,
        { ...stamped, changes: { file: FILES.changes, count: lines.length - 1, base: manifest.changes?.base ?? manifest.counts } },
        Buffer.from(`${lines.join('\n')}\n`, 'utf8'),
      );
    }
    const written = await readManifest(generation);
    if (!written) throw new Error(`the generation just written has no readable manifest: ${generation}`);
    this.index = { ...current, ...next, lexical, manifest: written, dir: generation };
    const { documents: _, ...summary } = written;
    return {
      generation,
      manifest: summary,
      change,
      site: applied.site,
      initialisms: changedInitialisms,
      lexical: wholeLexical ? lexicalBytes(lexical) : null,
      mergeDue: (written.changes?.count ?? 0) >= MERGE_DUE,
    };
  }

  /**
   * Writes the published index, which carries changes, as a whole generation and publishes it: the same
   * documents and passages, loaded without replaying anything. Null when there is nothing to merge (another
   * writer published a whole one) or `stop` asked to give way (nothing published then). Hold the index lock.
   */
  async merge(indexDir: string, stop: () => boolean): Promise<Merged | null> {
    const current = await this.current(indexDir);
    if (!current?.manifest.changes) return null;
    const lexical = compactLexical(current.lexical ?? buildLexical(lexicalTexts(current.passages, current.documents)));
    const initialisms = unionOf(current.documents.map((d) => this.initialismsByDoc.get(d.docId) ?? new Map()));
    let generation: string;
    try {
      const manifest = { ...current.manifest, createdAt: new Date().toISOString() };
      generation = await writeIndex(indexDir, { ...current, manifest, lexical, initialisms }, current.hnsw, stop);
    } catch (err) {
      if (err instanceof WriteStopped) return null;
      this.index = null;
      throw err;
    }
    const written = await readManifest(generation);
    if (!written) throw new Error(`the generation just written has no readable manifest: ${generation}`);
    this.index = { ...current, lexical, manifest: written, dir: generation };
    return { generation, manifest: written };
  }

  /** Reads the published index now, so that the next change need not. */
  async prepare(indexDir: string): Promise<null> {
    await this.current(indexDir);
    return null;
  }

  /** The published index, loaded once and kept while no other writer publishes another. */
  private async current(indexDir: string): Promise<LoadedIndex | null> {
    const published = await realpath(indexDir).catch(() => null);
    if (!published) return null;
    if (this.index?.dir === published) return this.index;
    this.loading ??= this.load(indexDir).finally(() => {
      this.loading = null;
    });
    const loaded = await this.loading;
    // Another writer may have published meanwhile: then read that one.
    if (!loaded || loaded.dir === published) return loaded;
    return this.current(indexDir);
  }

  private async load(indexDir: string): Promise<LoadedIndex | null> {
    this.index = null;
    const loaded = await loadIndex(indexDir).catch(() => null);
    if (!loaded) return null;
    this.initialismsByDoc = new Map(loaded.documents.map((d) => [d.docId, initialismsOf([d])]));
    this.index = loaded;
    return loaded;
  }
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
 * Whether the served BM25 index is a layer with more than `limit` passages added and removed since it was
 * read whole: then the serving side asks the writer for its whole index (`wholeLexical`) rather than
 * layering on, since a layer's per-write copies (document frequencies) and searches grow with it. The
 * default limit keeps that to about one write in 500 at 100k passages.
 */
export function lexicalDueForCompaction(index: LoadedIndex, limit = 2000 + index.passages.length / 20): boolean {
  const postings = index.lexical?.postings;
  return postings instanceof LayeredPostings && postings.changed > limit;
}

/**
 * The serving thread's side: the index it serves with `delta` applied in memory, without reading the new
 * generation. Its HNSW graph is changed in place (as the writer changed its own): an engine still answering
 * on the previous index skips points it does not know. BM25 gets a layer (`LayeredPostings`), or is the
 * writer's when it sent it, its term map filled a slice at a time, so requests are answered meanwhile.
 * Throws if the served index was not the writer's (it must then be read again).
 */
export async function applyDelta(index: LoadedIndex, delta: IndexDelta): Promise<LoadedIndex> {
  const same = (a: ChangeSite, b: ChangeSite) =>
    a.document === b.document && a.passage === b.passage && a.removed === b.removed && a.labels?.[0] === b.labels?.[0];
  const known = persistedInitialisms(index.passages);
  if (!known || !index.lexical) throw new Error('the served index has no BM25 index of its own to change');
  // The graph is changed in place: a served index returned before its graph was read waits for it.
  await index.graphRead;
  const { graphRead: _, ...served } = index;
  const rows: IndexRows = { ...served, labels: index.labels ?? identityLabels(index.passages.length) };
  const applied = applyChange(rows, delta.change, index.hnsw);
  if (!applied || !same(applied.site, delta.site)) throw new Error('the served index is not the one the writer changed');
  // Requests waiting since the row splices and graph changes above go first.
  await nextTurn();
  const lexical = delta.lexical
    ? await decodeLexicalYielding(delta.lexical, index.lexical.postings.keys())
    : LayeredPostings.over(index.lexical, applied.site);
  if (lexical.count !== applied.rows.passages.length) throw new Error('the writer’s BM25 index has other passages');
  const initialisms = new Map(known);
  for (const [initials, stems] of delta.initialisms) {
    if (stems) initialisms.set(initials, stems);
    else initialisms.delete(initials);
  }
  registerLexical(applied.rows.passages, lexical, initialisms);
  return {
    ...index,
    ...applied.rows,
    lexical,
    manifest: { ...delta.manifest, documents: applied.rows.manifest.documents },
    dir: delta.generation,
  };
}

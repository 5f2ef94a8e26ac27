import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { loadFile } from '../../ingest/documents.ts';
import { IndexError, type IndexData } from '../../store/generations.ts';
import { toPassages } from '../../ingest/passages.ts';
import {
  currentGeneration,
  DELTA_LIMITS,
  type PgIndex,
  publishChange,
  publishGeneration,
  StaleGenerationError,
} from '../../store/postgres/store.ts';
import type { DocumentRecord, Passage } from '../../store/format.ts';
import {
  type AddedDocument,
  bySource,
  checkSize,
  defaultId,
  fileFor,
  type NewDocument,
  refuseDuplicate,
  unindexable,
} from './corpus.ts';
import { readyEngine } from './engine-state.ts';
import type { Engine } from '../qa/index.ts';
import { FootnoteError } from '../errors.ts';
import type { LiveEngine } from './live-engine.ts';

export interface PgCorpusOptions {
  pool: pg.Pool;
  live: LiveEngine;
  maxDocBytes: number;
  /** The name sources are given (`<folder>/<id>.md`), CORPUS_DIR's: the same as `npm run ingest` of that folder. */
  folder: string;
  /** Past these, a write publishes in full (default DELTA_LIMITS). */
  limits?: typeof DELTA_LIMITS;
}

/** How many times a write is rebuilt on a newer generation before it gives up (each retry means another writer won). */
const ATTEMPTS = 8;

/**
 * The documents API over the Postgres store: the database is the corpus (servers share no folder). A write
 * builds the next generation from the current one (the new document's passages embedded, every other
 * vector reused) and publishes it with a compare-and-switch: in the transaction that switches
 * `footnote_current`, under `pg_advisory_xact_lock` and a row lock on `footnote_current`, the generation it
 * was built from must still be current, or nothing is published and the write starts again from the newer
 * one. So two servers writing at once never lose an add or bring a deleted document back, and the id and
 * duplicate checks always see the other writer's result. The lock is not held while the document is read
 * and embedded, so writers queue only for the short transaction (on pglite-socket, where a transaction
 * holds the whole database, readers too). Every other server picks the new generation up by NOTIFY.
 */
export class PgCorpus {
  constructor(private readonly opts: PgCorpusOptions) {}

  add(doc: NewDocument): Promise<AddedDocument> {
    return this.writing(async () => {
      const t0 = performance.now();
      const { ext, content } = fileFor(doc);
      checkSize(content, this.opts.maxDocBytes);
      let read: DocumentRecord | null = null;
      const { engine, result: record } = await this.write(async (base) => {
        const taken = new Set(base.documents.map((d) => d.docId));
        const id = doc.id ?? defaultId(doc, content, taken);
        if (taken.has(id)) {
          throw new FootnoteError('id_taken', `a document with id "${id}" exists; delete it first`, {}, { existingId: id });
        }
        // Read once; again only if a retry gave it another id.
        const added = read?.docId === id ? read : await this.read(id, ext, content);
        read = added;
        refuseDuplicate(base.documents, added);
        return { documents: [...base.documents, added].sort(bySource), result: added };
      });
      return {
        id: record.docId,
        title: engine.documents.get(record.docId)?.title ?? record.docId,
        source: record.source,
        passages: engine.index.manifest.documents.find((d) => d.docId === record.docId)?.passages ?? 0,
        ms: Math.round(performance.now() - t0),
      };
    });
  }

  remove(id: string): Promise<{ id: string; deleted: true; ms: number }> {
    return this.writing(async () => {
      const t0 = performance.now();
      await this.write(async (base) => {
        if (!base.documents.some((d) => d.docId === id)) throw new FootnoteError('not_found', `no document with id "${id}"`);
        const rest = base.documents.filter((d) => d.docId !== id);
        if (rest.length === 0) {
          throw new FootnoteError('last_document', 'an index needs at least one document; add another first');
        }
        return { documents: rest, result: null };
      });
      return { id, deleted: true as const, ms: Math.round(performance.now() - t0) };
    });
  }

  /** One change at a time per server, after queued reloads; a database that cannot be reached is 503. */
  private writing<T>(fn: () => Promise<T>): Promise<T> {
    return this.opts.live.exclusive(async () => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof FootnoteError || err instanceof IndexError) throw err;
        throw new FootnoteError('not_ready', `the database is unreachable: ${(err as Error).message}`);
      }
    });
  }

  /**
   * Publishes `change(documents of the current generation)` as the next generation, built on the newest
   * one (the server reloads first if another wrote since), retried when another writer switches first.
   * Returns the engine serving the result, and what `change` said about it.
   */
  private async write<T>(
    change: (base: Engine['index']) => Promise<{ documents: DocumentRecord[]; result: T }>,
  ): Promise<{ engine: Engine; result: T }> {
    const { live, pool } = this.opts;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await currentGeneration(pool);
      if (!current) throw new IndexError('the Postgres store has no index yet', 'run FOOTNOTE_STORE=postgres npm run ingest');
      if (live.state().engine?.index.dir !== `postgres:${current}`) await live.reloadNow();
      const engine = readyEngine(live.state());
      const base = engine.index;
      const { documents, result } = await change(base);
      try {
        await publish(pool, base as PgIndex, documents, engine.embedder, this.opts.limits ?? DELTA_LIMITS);
      } catch (err) {
        if (err instanceof StaleGenerationError) continue;
        throw err;
      }
      await live.reloadNow();
      return { engine: readyEngine(live.state()), result };
    }
    throw new IndexError(
      `the corpus changed ${ATTEMPTS} times while this change was being written`,
      'send the request again',
    );
  }

  /** Reads a new document exactly as ingest reads a file of the corpus folder (title, HTML, PDF text). */
  private async read(id: string, ext: string, content: string | Uint8Array): Promise<DocumentRecord> {
    const fileName = `${id}${ext}`;
    const dir = await mkdtemp(path.join(tmpdir(), 'footnote-add-'));
    try {
      const file = path.join(dir, fileName);
      await writeFile(file, content);
      const record = await loadFile(file, `${this.opts.folder}/${fileName}`, id, { maxBytes: this.opts.maxDocBytes });
      if ('reason' in record) throw unindexable(record);
      return record;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Publishes `documents` as the generation after `base`: as a change sharing `base`'s HNSW index while what
 * it leaves beside it stays within DELTA_LIMITS, else in full (a new table and index). Measured by `npm run
 * bench:pg` at 10k passages on PGlite (a loaded machine): adding an 18-passage document took 120 s and
 * deleting it 46 s when every write published in full (most of it the HNSW build), 5.0 s and 5.1 s as
 * changes (most of it the reload, 2.2 s).
 */
async function publish(
  pool: pg.Pool,
  base: PgIndex,
  documents: DocumentRecord[],
  embedder: Engine['embedder'],
  limits: typeof DELTA_LIMITS,
): Promise<void> {
  const { data, added, removedDocs } = await nextGeneration(base, documents, embedder);
  const gone = new Set(removedDocs);
  let removedRows = base.removed.size;
  let deltaRows = added.length;
  base.passages.forEach((p, i) => {
    if (base.inDelta[i]) deltaRows += gone.has(p.docId) ? 0 : 1;
    else if (gone.has(p.docId)) removedRows++;
  });
  if (removedRows <= limits.removed && deltaRows <= limits.rows) {
    await publishChange(pool, base, { manifest: data.manifest, documents, added, removedDocs }, embedder);
  } else {
    await publishGeneration(pool, data, embedder, base.generation);
  }
}

/**
 * The index of `documents`: passages and vectors of documents already in `base` are reused, a new
 * document's are split and embedded (the chunking and model of `base`, so every passage is comparable).
 * Also returns the new passages and the ids of `base`'s documents that are gone (or changed).
 */
async function nextGeneration(
  base: Engine['index'],
  documents: DocumentRecord[],
  embedder: Engine['embedder'],
): Promise<{ data: IndexData; added: Array<{ passage: Passage; vector: Float32Array }>; removedDocs: string[] }> {
  const byDoc = new Map<string, Array<{ passage: Passage; vector: Float32Array }>>();
  base.passages.forEach((p, i) => {
    const list = byDoc.get(p.docId) ?? [];
    list.push({ passage: p, vector: base.vectors[i] as Float32Array });
    byDoc.set(p.docId, list);
  });
  const baseHash = new Map(base.documents.map((d) => [d.docId, d.hash]));
  const passages: Passage[] = [];
  const vectors: Array<Float32Array | null> = [];
  const fresh: number[] = [];
  for (const d of documents) {
    const kept = byDoc.get(d.docId);
    if (kept && baseHash.get(d.docId) === d.hash) {
      for (const k of kept) {
        passages.push(k.passage);
        vectors.push(k.vector);
      }
      continue;
    }
    for (const p of toPassages(d, base.manifest.chunking)) {
      fresh.push(passages.length);
      passages.push(p);
      vectors.push(null);
    }
  }
  const embedded = fresh.length ? await embedder.embed(fresh.map((i) => (passages[i] as Passage).text)) : [];
  fresh.forEach((i, j) => {
    vectors[i] = embedded[j] as Float32Array;
  });
  const perDoc = new Map<string, number>();
  for (const p of passages) perDoc.set(p.docId, (perDoc.get(p.docId) ?? 0) + 1);
  const { files: _, lexical: __, ...manifest } = base.manifest;
  const next = new Map(documents.map((d) => [d.docId, d.hash]));
  return {
    data: {
      manifest: {
        ...manifest,
        documents: documents.map((d) => ({ docId: d.docId, source: d.source, hash: d.hash, passages: perDoc.get(d.docId) ?? 0 })),
        counts: { documents: documents.length, passages: passages.length },
        createdAt: new Date().toISOString(),
      },
      documents,
      passages,
      vectors: vectors as Float32Array[],
    },
    added: fresh.map((i) => ({ passage: passages[i] as Passage, vector: vectors[i] as Float32Array })),
    removedDocs: base.documents.filter((d) => next.get(d.docId) !== d.hash).map((d) => d.docId),
  };
}

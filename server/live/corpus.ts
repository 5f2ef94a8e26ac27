import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { docIdFor, formatBytes, loadFile, type Skipped, sha256 } from '../../ingest/documents.ts';
import {
  applyDelta,
  IncrementalIndex,
  type IndexChange,
  type IndexDelta,
  lexicalDueForCompaction,
  MERGE_DUE,
} from '../../ingest/incremental-update.ts';
import { type LoadedIndex, readManifest, withIndexLock, writeDurable } from '../../store/generations.ts';
import { IngestThread } from '../../ingest/ingest-thread.ts';
import {
  type CorpusSnapshot,
  EmptyCorpusError,
  ingestLocked,
  readCorpus,
} from '../../ingest/pipeline.ts';
import type { DocumentRecord, Manifest } from '../../store/format.ts';
import { Engine } from '../qa/index.ts';
import { FootnoteError } from '../errors.ts';
import type { LiveEngine } from './live-engine.ts';
import type { Logger } from '../logger.ts';

export interface NewDocument {
  id?: string;
  title?: string;
  source?: string;
  /** The document as given: plain text, markdown or HTML (a PDF or Word file: see `file`). */
  body: string;
  format: 'text' | 'markdown' | 'html' | 'pdf' | 'docx';
  /** The uploaded bytes of a PDF or Word file, stored as they are (its text is extracted for the index). */
  file?: Uint8Array;
  /** An uploaded file's name: the default id. */
  fileName?: string;
}

export interface AddedDocument {
  id: string;
  title: string;
  source: string;
  passages: number;
  ms: number;
}

export interface CorpusOptions {
  corpusDir: string;
  indexDir: string;
  maxDocBytes: number;
  live: LiveEngine;
  /** Index on the event loop instead of the worker thread (slower to start; for tools, not servers). */
  inProcess?: boolean;
  /**
   * Passages added and removed in memory before the served BM25 index is replaced by the writer's whole one
   * (default: 2,000 plus 5% of the corpus; see `lexicalDueForCompaction`).
   */
  lexicalLayerLimit?: number;
  /** How long writes must pause before a due merge of the index's changes starts (default 3 s). */
  mergeAfterMs?: number;
  /** Where merges are reported (they happen after the request that made them due has been answered). */
  logger?: Logger;
}

export const MERGE_AFTER_MS = 3000;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch] as string);

/**
 * Per served engine, computed once: every write asked again, each a pass over its thousands of documents
 * on the serving thread.
 */
const fileNames = new WeakMap<Engine, Set<string>>();
const folders = new WeakMap<Engine, { prefix: string; all: boolean }>();

/** The file names of the engine's documents in the corpus folder. */
function fileNamesOf(engine: Engine): Set<string> {
  let names = fileNames.get(engine);
  if (!names) {
    names = new Set(engine.index.documents.map((d) => path.basename(d.source)));
    fileNames.set(engine, names);
  }
  return names;
}

/**
 * Carries the caches of `from` over to `to`, its index after adding or removing the document `source`: a
 * copy of 7k file names with one changed, not 7k again from scratch on the serving thread at every write.
 */
function carryCaches(from: Engine, to: Engine, change: { added: string } | { removed: string }): void {
  const names = fileNames.get(from);
  if (names) {
    const next = new Set(names);
    if ('added' in change) next.add(path.basename(change.added));
    else next.delete(path.basename(change.removed));
    // Anything else changed too (a duplicate indexed in place of a deleted file): computed afresh when asked.
    if (next.size === to.index.documents.length) fileNames.set(to, next);
  }
  const folder = folders.get(from);
  if (folder?.all && ('removed' in change || change.added.startsWith(folder.prefix))) folders.set(to, folder);
}

/** Whether every document of the engine's index comes from the folder named `prefix` ("seeds/"). */
function fromFolder(engine: Engine, prefix: string): boolean {
  let known = folders.get(engine);
  if (known?.prefix !== prefix) {
    known = { prefix, all: engine.index.manifest.documents.every((d) => d.source.startsWith(prefix)) };
    folders.set(engine, known);
  }
  return known.all;
}

/**
 * What is written to the corpus folder. The folder stays the single source of truth (`npm run ingest`
 * rebuilds the same index from it), so a title and a source are written into the document itself: a
 * markdown heading and a `Source:` line, or a `<title>` for HTML.
 */
export function fileFor(doc: NewDocument): { ext: string; content: string | Uint8Array } {
  // A PDF or Word file is kept as uploaded: its own title is used.
  if ((doc.format === 'pdf' || doc.format === 'docx') && doc.file) return { ext: `.${doc.format}`, content: doc.file };
  if (doc.format === 'html') {
    const head = doc.title ? `<title>${escapeHtml(doc.title)}</title>\n` : '';
    const source = doc.source ? `<p>Source: ${escapeHtml(doc.source)}</p>\n` : '';
    return { ext: '.html', content: `${head}${source}${doc.body}` };
  }
  if (!doc.title && !doc.source)
    return { ext: doc.format === 'markdown' ? '.md' : '.txt', content: doc.body };
  const head = [doc.title ? `# ${doc.title}` : '', doc.source ? `Source: ${doc.source}` : '']
    .filter(Boolean)
    .join('\n\n');
  return { ext: '.md', content: `${head}\n\n${doc.body}` };
}

/** What a start-up reconciliation of the corpus folder with the published index changed. */
export interface ReconcileReport {
  /** One line per fix, e.g. `dropped the unfinished add of "x"`; empty when folder and index agreed. */
  fixed: string[];
  /** Why nothing was checked (the index was not built from CORPUS_DIR), if so. */
  skipped?: string;
}

/**
 * Journal files: a change in flight is a dot file (invisible to ingestion) next to the document it is about,
 * `.pending-<8 hex>-<file>` for an add and `.deleted-<8 hex>-<file>` for a delete (the file's extension
 * stays last, so the pending file reads as the document will). The published index decides which way a
 * change ends: see `settle`. Older versions left `.<file>.<8 hex>.tmp|deleted`.
 */
function parseJournal(name: string): { kind: 'pending' | 'deleted' | 'tmp'; fileName: string } | null {
  const m = /^\.(pending|deleted)-[0-9a-f]{8}-(.+)$/.exec(name);
  if (m) return { kind: m[1] as 'pending' | 'deleted', fileName: m[2] as string };
  const old = /^\.(.+)\.[0-9a-f]{8}\.(deleted|tmp)$/.exec(name);
  return old ? { kind: old[2] as 'deleted' | 'tmp', fileName: old[1] as string } : null;
}

const journalFile = (dir: string, kind: 'pending' | 'deleted', fileName: string) =>
  path.join(dir, `.${kind}-${randomBytes(4).toString('hex')}-${fileName}`);

/** A document's text without the `# title` and `Source:` lines `fileFor` writes above it. */
function withoutHeader(text: string): string {
  return text.replace(/^(?:# [^\n]*\n\n)?(?:Source: [^\n]*\n\n)?/, '');
}

/** The corpus as the served index has it, when that is exactly the corpus folder's files (see `view`). */
interface IndexedView extends CorpusSnapshot {
  indexed: true;
}

export const bySource = (a: DocumentRecord, b: DocumentRecord) =>
  a.source < b.source ? -1 : a.source > b.source ? 1 : 0;

const exists = (file: string) => stat(file).then(
  () => true,
  () => false,
);

/** Makes renames in `dir` durable (best effort: not every file system lets a directory be synced). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  await fh?.sync().catch(() => {});
  await fh?.close();
}

/**
 * Adds and removes documents of a live server. Every change runs under the index lock, the same lock a
 * CLI ingest or `--watch` takes before it reads the corpus folder, so there is one writer at a time and
 * none publishes a stale listing over another's change. All changes also run one at a time (with reloads)
 * through the live engine's queue.
 *
 * A change is durable exactly when the index containing it is published: an added document waits as a
 * dot file until then and is renamed into place right after; a deleted one is moved aside to a dot file
 * first and removed right after. A crash in between leaves a journal file that `reconcile` (at start)
 * settles by the published index: the old state or the new one, never half of each.
 */
export class Corpus {
  private readonly thread = new IngestThread({ background: true });
  /** The in-process writer's index between changes (`inProcess` only; else the worker thread keeps it). */
  private incremental: IncrementalIndex | null = null;
  /**
   * The published generation carries enough changes (MERGE_DUE) to be merged into a whole one. A merge
   * takes seconds at 100k passages, so no add or delete waits for it: it starts once writes have paused
   * (`mergeAfterMs`), and a write arriving meanwhile stops it (nothing published) and goes first.
   */
  private mergeDue = false;
  /** The merge waiting for writes to pause: its timer, and what resolves `merging` if it is called off. */
  private scheduled: { timer: NodeJS.Timeout; callOff: () => void } | null = null;
  /** Writes asked for and not yet started: a merge about to start gives way to them. */
  private writesWaiting = 0;
  /** The in-process writer's stop flag (the worker thread's is shared memory). */
  private stopInProcessMerge = false;
  /** The merge scheduled or running, if any (`merged`). */
  private merging: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CorpusOptions) {}

  /** Resolves once the merge scheduled or running now, if any, has ended (published, stopped or failed). */
  merged(): Promise<void> {
    return this.merging;
  }

  /**
   * Has the ingest worker thread read the published index, which adds and deletes then change in place;
   * schedules the merge a previous run left due.
   */
  async prepare(): Promise<void> {
    if (!this.opts.inProcess) await this.thread.prepare(this.opts.indexDir);
    // The served index's manifest (the merge reads the published one again before it starts).
    if ((this.opts.live.state().engine?.index.manifest.changes?.count ?? 0) >= MERGE_DUE) {
      this.mergeDue = true;
      if (this.writesWaiting === 0) this.scheduleMerge();
    }
  }

  /** Stops the ingest worker thread (it never keeps the process alive, but tests may end it). */
  close(): Promise<void> {
    this.callOffMerge();
    return this.thread.close();
  }

  add(doc: NewDocument): Promise<AddedDocument> {
    return this.writing(async () => {
      const t0 = performance.now();
      const engine = this.currentEngine();
      const { ext, content } = fileFor(doc);
      checkSize(content, this.opts.maxDocBytes);
      const dir = this.opts.corpusDir;
      await mkdir(dir, { recursive: true });
      const snapshot = await this.view(engine);
      const taken = await this.idsInUse(engine, snapshot);
      const id = doc.id ?? defaultId(doc, content, taken);
      if (taken.has(id)) {
        throw new FootnoteError('id_taken',
          `a document with id "${id}" exists; delete it first`,
          {},
          {
            existingId: id,
          },
        );
      }
      const fileName = `${id}${ext}`;
      const source = `${path.basename(path.resolve(dir))}/${fileName}`;
      const pending = journalFile(dir, 'pending', fileName);
      await writeDurable(pending, content, 'wx');
      let changed: LoadedIndex | null = null;
      try {
        const record = await loadFile(pending, source, id, { maxBytes: this.opts.maxDocBytes });
        if ('reason' in record) throw unindexable(record);
        refuseDuplicate(snapshot.documents, record);
        changed = await this.publish(
          { ...snapshot, documents: [...snapshot.documents, record].sort(bySource) },
          { add: record },
        );
      } finally {
        // Published: renamed into place; not published (invalid, duplicate, failed ingest): removed.
        await this.settle(pending, changed?.manifest.documents);
      }
      await this.serve(engine, changed, t0, { added: source });
      const now = this.currentEngine();
      const passages = now.index.manifest.documents.find((d) => d.docId === id)?.passages ?? 0;
      return {
        id,
        title: now.documents.get(id)?.title ?? id,
        source,
        passages,
        ms: Math.round(performance.now() - t0),
      };
    });
  }

  remove(id: string): Promise<{ id: string; deleted: true; ms: number }> {
    return this.writing(async () => {
      const t0 = performance.now();
      const engine = this.currentEngine();
      const snapshot = await this.view(engine);
      const doc = snapshot.documents.find((d) => d.docId === id) ?? engine.documents.get(id);
      if (!doc) throw new FootnoteError('not_found', `no document with id "${id}"`);
      const rest = snapshot.documents.filter((d) => d.docId !== id);
      if (rest.length === 0) {
        throw new FootnoteError('last_document', 'an index needs at least one document; add another first');
      }
      const file = path.join(this.opts.corpusDir, path.basename(doc.source));
      // Moved aside rather than deleted: until the index without it is published, it can come back.
      const aside = journalFile(this.opts.corpusDir, 'deleted', path.basename(file));
      await rename(file, aside).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await syncDir(this.opts.corpusDir);
      let changed: LoadedIndex | null = null;
      try {
        // A file that had the same text as this one was left out as its duplicate: now it is indexed.
        const after = snapshot.duplicates.some((d) => d.sameAs === doc.source)
          ? await this.readFolder()
          : { ...snapshot, documents: rest };
        changed = await this.publish(after, { remove: id });
      } finally {
        await this.settle(aside, changed?.manifest.documents);
      }
      await this.serve(engine, changed, t0, { removed: doc.source });
      return { id, deleted: true as const, ms: Math.round(performance.now() - t0) };
    });
  }

  /**
   * At start: settles changes a crash left half-done (by the published index: an add whose index was
   * published is completed, any other rolled back), then indexes whatever else differs between the corpus
   * folder and the index (files added, changed or removed while no ingest ran), and says what it fixed.
   */
  reconcile(): Promise<ReconcileReport> {
    return this.writing(async () => {
      const engine = this.opts.live.state().engine;
      if (!engine) throw new FootnoteError('not_ready', 'the index is not loaded yet');
      try {
        this.currentEngine();
      } catch (err) {
        return { fixed: [], skipped: (err as Error).message };
      }
      const fixed: string[] = [];
      const names = await readdir(this.opts.corpusDir).catch(() => [] as string[]);
      for (const name of names) {
        if (!parseJournal(name)) continue;
        const line = await this.settle(path.join(this.opts.corpusDir, name));
        if (line) fixed.push(line);
      }
      const snapshot = await this.readFolder();
      const indexed = new Map(
        ((await readManifest(this.opts.indexDir))?.documents ?? []).map((d) => [d.docId, d]),
      );
      const inFolder = new Map(snapshot.documents.map((d) => [d.docId, d]));
      const added = [...inFolder.keys()].filter((id) => !indexed.has(id));
      const removed = [...indexed.keys()].filter((id) => !inFolder.has(id));
      const changed = [...inFolder.values()]
        .filter((d) => {
          const i = indexed.get(d.docId);
          return i && (i.hash !== d.hash || i.source !== d.source);
        })
        .map((d) => d.docId);
      if (added.length + removed.length + changed.length > 0) {
        await this.publish(snapshot);
        const list = (ids: string[]) => ids.map((id) => `"${id}"`).join(', ');
        if (added.length) fixed.push(`indexed ${list(added)} (in the corpus folder, not in the index)`);
        if (removed.length) fixed.push(`removed ${list(removed)} (in the index, not in the corpus folder)`);
        if (changed.length) fixed.push(`re-indexed ${list(changed)} (changed in the corpus folder)`);
      }
      if (fixed.length) await this.opts.live.reloadNow();
      return { fixed };
    });
  }

  /** Runs `fn` after queued changes and reloads, holding the index lock. */
  private writing<T>(fn: () => Promise<T>): Promise<T> {
    this.writesWaiting++;
    this.callOffMerge();
    return this.opts.live.exclusive(async () => {
      this.writesWaiting--;
      try {
        return await withIndexLock(this.opts.indexDir, fn);
      } finally {
        if (this.mergeDue && this.writesWaiting === 0) this.scheduleMerge();
      }
    });
  }

  /** Cancels a scheduled merge and stops a running one (it publishes nothing). */
  private callOffMerge(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled.timer);
      this.scheduled.callOff();
      this.scheduled = null;
    }
    this.stopInProcessMerge = true;
    this.thread.stopMerge();
  }

  private scheduleMerge(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled.timer);
      this.scheduled.callOff();
    }
    this.merging = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.scheduled = null;
        void this.opts.live.exclusive(() => this.mergeNow()).finally(resolve);
      }, this.opts.mergeAfterMs ?? MERGE_AFTER_MS);
      timer.unref();
      this.scheduled = { timer, callOff: resolve };
    });
  }

  /** Merges the published generation's changes and serves the same index under the whole generation. */
  private async mergeNow(): Promise<void> {
    if (this.writesWaiting > 0) return;
    const t0 = performance.now();
    try {
      await withIndexLock(this.opts.indexDir, async () => {
        // A full ingest (the CLI, or a change that could not be incremental) published a whole one meanwhile.
        if (!(await readManifest(this.opts.indexDir))?.changes) {
          this.mergeDue = false;
          return;
        }
        const engine = this.currentEngine();
        const published = await realpath(this.opts.indexDir).catch(() => null);
        this.stopInProcessMerge = false;
        const merged = this.opts.inProcess
          ? await (this.incremental ??= new IncrementalIndex()).merge(this.opts.indexDir, () => this.stopInProcessMerge)
          : await this.thread.merge(this.opts.indexDir);
        if (!merged) return;
        this.mergeDue = false;
        // The served index is the one merged when it was the one published: serve it under its new name.
        if (published && published === (await realpath(engine.index.dir).catch(() => null))) {
          const index = { ...engine.index, manifest: merged.manifest, dir: merged.generation };
          this.opts.live.serve(new Engine(index, engine.embedder), Math.round(performance.now() - t0));
        } else await this.opts.live.reloadNow();
        this.opts.logger?.info({ generation: path.basename(merged.generation), ms: Math.round(performance.now() - t0) }, 'index changes merged');
      });
    } catch (err) {
      this.opts.logger?.warn({ error: String(err) }, 'merging the index changes failed; the next write retries');
    }
  }

  /**
   * Ends a journal file the way the published index says: a pending add it contains is renamed into
   * place, a deletion it does not contain is completed; otherwise the change is undone. Returns what it
   * did, for the reconcile log.
   */
  private async settle(journal: string, published?: Manifest['documents']): Promise<string | null> {
    const parsed = parseJournal(path.basename(journal));
    if (!parsed) return null;
    const { kind, fileName } = parsed;
    const dir = path.dirname(journal);
    const file = path.join(dir, fileName);
    const id = docIdFor(fileName);
    const source = `${path.basename(path.resolve(dir))}/${fileName}`;
    const indexed = (published ?? (await readManifest(this.opts.indexDir))?.documents)?.find(
      (d) => d.docId === id && d.source === source,
    );
    if (!(await exists(journal))) return null;
    if (kind === 'pending') {
      const record = await loadFile(journal, source, id, { maxBytes: Number.POSITIVE_INFINITY });
      if (indexed && !('reason' in record) && record.hash === indexed.hash) {
        await rename(journal, file);
        await syncDir(dir);
        return `completed the add of "${id}" (its index was published)`;
      }
      await rm(journal, { force: true });
      return `dropped the unfinished add of "${id}" (its index was never published)`;
    }
    if (kind === 'deleted' && indexed) {
      if (!(await exists(file))) {
        await rename(journal, file);
        await syncDir(dir);
        return `restored "${id}" (its delete was never published)`;
      }
    }
    await rm(journal, { force: true });
    return kind === 'deleted' ? `finished deleting "${id}"` : `removed a temporary file of "${id}"`;
  }

  /**
   * Publishes `snapshot`: as `change` applied to the published index when the snapshot is the served index's
   * view (`view`), else by indexing it in full; in the ingest worker thread (or in-process if so configured).
   * Returns, for an incremental change, the served index with the change applied in memory; null when the
   * published index must be read again (a full ingest, or a served index that differs from the writer's).
   */
  private async publish(snapshot: CorpusSnapshot, change: IndexChange | null = null): Promise<LoadedIndex | null> {
    const engine = this.currentEngine();
    const where = {
      corpusDir: this.opts.corpusDir,
      indexDir: this.opts.indexDir,
      maxBytes: this.opts.maxDocBytes,
    };
    try {
      let delta: IndexDelta | null = null;
      if (change && 'indexed' in snapshot) {
        const request = { change, wholeLexical: lexicalDueForCompaction(engine.index, this.opts.lexicalLayerLimit) };
        delta = this.opts.inProcess
          ? await (this.incremental ??= new IncrementalIndex()).apply(this.opts.indexDir, request, engine.embedder)
          : await this.thread.update(where, request, engine.embedder);
      }
      if (delta) {
        this.mergeDue = delta.mergeDue;
        try {
          return await applyDelta(engine.index, delta);
        } catch {
          // Published all the same: the caller serves it by reading it (a change is never half-served).
          return null;
        }
      }
      if (this.opts.inProcess) await ingestLocked({ ...where, embedder: engine.embedder }, snapshot);
      else {
        await this.thread.run({ ...where, corpus: snapshot }, engine.embedder);
      }
      return null;
    } catch (err) {
      if (err instanceof EmptyCorpusError) throw new FootnoteError('empty_corpus', err.message);
      throw err;
    }
  }

  /**
   * Serves the index just published: the one `publish` applied in memory, else (a full ingest) read again.
   * Reading the whole index blocks the event loop for seconds at 100k passages; applying a change does not.
   */
  private async serve(
    engine: Engine,
    changed: LoadedIndex | null,
    t0: number,
    change: { added: string } | { removed: string },
  ): Promise<void> {
    if (!changed) {
      await this.opts.live.reloadNow();
      return;
    }
    const next = new Engine(changed, engine.embedder);
    carryCaches(engine, next, change);
    this.opts.live.serve(next, Math.round(performance.now() - t0));
  }

  /**
   * The corpus folder as a snapshot. When the served index is the published one and every file of the
   * folder is one of its documents (the usual case: changes go through this class), the served index's
   * documents stand for it, without reading every file; a change to such a view can be incremental.
   */
  private async view(engine: Engine): Promise<CorpusSnapshot | IndexedView> {
    const names = (await readdir(this.opts.corpusDir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
    const indexed = fileNamesOf(engine);
    const published = await realpath(this.opts.indexDir).catch(() => null);
    // Both resolved: a change applied in memory names its generation by the path the writer was given.
    const served = await realpath(engine.index.dir).catch(() => engine.index.dir);
    if (published === served && names.length === indexed.size && names.every((n) => indexed.has(n))) {
      return { documents: engine.index.documents, skipped: [], duplicates: [], indexed: true };
    }
    return this.readFolder();
  }

  private async readFolder(): Promise<CorpusSnapshot> {
    try {
      return await readCorpus(this.opts.corpusDir, this.opts.maxDocBytes);
    } catch (err) {
      if (err instanceof EmptyCorpusError) return { documents: [], skipped: [], duplicates: [] };
      throw err;
    }
  }

  private currentEngine(): Engine {
    const engine = this.opts.live.state().engine;
    if (!engine) throw new FootnoteError('not_ready', 'the index is not loaded yet');
    const prefix = `${path.basename(path.resolve(this.opts.corpusDir))}/`;
    if (!fromFolder(engine, prefix)) {
      // Ingesting CORPUS_DIR would replace the whole index with another corpus.
      throw new FootnoteError('corpus_mismatch',
        `the index was not built from CORPUS_DIR (${this.opts.corpusDir}); point CORPUS_DIR at its corpus folder`,
      );
    }
    return engine;
  }

  /** Ids of the published index's documents and of every file in the corpus folder (indexed or not). */
  private async idsInUse(engine: Engine, snapshot: CorpusSnapshot | IndexedView): Promise<{ has(id: string): boolean }> {
    // Every file of the folder is an indexed document, named by its id: the served index's ids are all.
    if ('indexed' in snapshot) return engine.documents;
    const names = await readdir(this.opts.corpusDir).catch(() => [] as string[]);
    const indexed = (await readManifest(this.opts.indexDir))?.documents.map((d) => d.docId) ?? [];
    return new Set([...indexed, ...names.filter((n) => !n.startsWith('.')).map(docIdFor)]);
  }
}

/** The id of a document added without one: its file name or title, made unique by its content hash. */
export function defaultId(doc: NewDocument, content: string | Uint8Array, taken: { has(id: string): boolean }): string {
  const name = doc.fileName ?? (doc.title ? `${doc.title}.txt` : '');
  const base = (name ? docIdFor(name) : '').slice(0, 80).replace(/[-.]+$/, '') || 'doc';
  return taken.has(base) || !name ? `${base}-${sha256(content).slice(0, 12)}` : base;
}

/** Refuses a document over MAX_DOC_BYTES as written (a PDF or Word file is checked once its text is extracted). */
export function checkSize(content: string | Uint8Array, maxDocBytes: number): void {
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : 0;
  if (bytes > maxDocBytes) {
    throw new FootnoteError(
      'payload_too_large',
      `the document is ${formatBytes(bytes)}, over the ${formatBytes(maxDocBytes)} limit (MAX_DOC_BYTES)`,
    );
  }
}

/** Why an added file cannot be indexed, as the API says it: a PDF over the page limit or a file too large, 413; a scan without a text layer, 415. */
/**
 * Whole documents only: the same text, or the same text under another title or source (which differ only by
 * the header this module writes), is a duplicate (409 with the id it has). A paragraph of another article is
 * not a copy of it.
 */
export function refuseDuplicate(documents: readonly DocumentRecord[], record: Pick<DocumentRecord, 'hash' | 'text'>): void {
  const body = withoutHeader(record.text);
  const same = documents.find((d) => d.hash === record.hash || withoutHeader(d.text) === body);
  if (same) {
    throw new FootnoteError('duplicate_document', `the same text is already indexed as "${same.docId}"`, {}, {
      existingId: same.docId,
    });
  }
}

export function unindexable(record: Skipped): FootnoteError {
  // A PDF over the page limit or a file too large: 413; a scan without a text layer: 415.
  const code =
    record.kind === 'too_many_pages' || record.kind === 'too_large'
      ? 'payload_too_large'
      : record.kind === 'no_text'
        ? 'unsupported_media_type'
        : 'invalid_document';
  return new FootnoteError(code, `cannot index it: ${record.reason}`);
}

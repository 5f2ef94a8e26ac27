import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { docIdFor, formatBytes, loadFile, sha256 } from '../ingest/documents.ts';
import { EmptyCorpusError, ingest } from '../ingest/pipeline.ts';
import type { Engine } from './engine.ts';
import { ApiError } from './errors.ts';
import type { LiveEngine } from './live-engine.ts';

export interface NewDocument {
  id?: string;
  title?: string;
  source?: string;
  /** The document as given: plain text, markdown or HTML. */
  body: string;
  format: 'text' | 'markdown' | 'html';
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
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch] as string);

/**
 * What is written to the corpus folder. The folder stays the single source of truth (`npm run ingest`
 * rebuilds the same index from it), so a title and a source are written into the document itself: a
 * markdown heading and a `Source:` line, or a `<title>` for HTML.
 */
function fileFor(doc: NewDocument): { ext: string; content: string } {
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

/**
 * Adds and removes documents of a live server: the file goes into the corpus folder atomically, the
 * incremental ingest embeds only its passages, and the new index is swapped in. All changes run one at a
 * time (with reloads) through the live engine's queue, and ingest's file lock keeps a CLI ingest out.
 */
export class Corpus {
  constructor(private readonly opts: CorpusOptions) {}

  add(doc: NewDocument): Promise<AddedDocument> {
    return this.opts.live.exclusive(async () => {
      const t0 = performance.now();
      const engine = this.currentEngine();
      const { ext, content } = fileFor(doc);
      const bytes = Buffer.byteLength(content);
      if (bytes > this.opts.maxDocBytes) {
        throw new ApiError(
          413,
          'payload_too_large',
          `the document is ${formatBytes(bytes)}, over the ${formatBytes(this.opts.maxDocBytes)} limit (MAX_DOC_BYTES)`,
        );
      }
      const taken = await this.idsInUse(engine);
      const id = doc.id ?? this.defaultId(doc, content, taken);
      if (taken.has(id)) {
        throw new ApiError(
          409,
          'id_taken',
          `a document with id "${id}" exists; delete it first`,
          {},
          {
            existingId: id,
          },
        );
      }
      const dir = this.opts.corpusDir;
      await mkdir(dir, { recursive: true });
      const fileName = `${id}${ext}`;
      const source = `${path.basename(path.resolve(dir))}/${fileName}`;
      // A dot file is invisible to ingestion until the rename publishes it whole.
      const tmp = path.join(dir, `.${fileName}.${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(tmp, content, { flag: 'wx' });
      const file = path.join(dir, fileName);
      try {
        const record = await loadFile(tmp, source, id, { maxBytes: this.opts.maxDocBytes });
        if ('reason' in record)
          throw new ApiError(400, 'invalid_document', `cannot index it: ${record.reason}`);
        // The same text under another title or source differs only by the header this class writes.
        const same = [...engine.documents.values()].find(
          (d) =>
            d.hash === record.hash ||
            (doc.format !== 'html' && (d.text === doc.body || d.text.endsWith(`\n\n${doc.body}`))),
        );
        if (same) {
          throw new ApiError(
            409,
            'duplicate_document',
            `the same text is already indexed as "${same.docId}"`,
            {},
            { existingId: same.docId },
          );
        }
        await rename(tmp, file);
      } finally {
        await rm(tmp, { force: true });
      }
      try {
        await this.ingest();
      } catch (err) {
        await rm(file, { force: true });
        throw err;
      }
      await this.opts.live.reloadNow();
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
    return this.opts.live.exclusive(async () => {
      const t0 = performance.now();
      const engine = this.currentEngine();
      const doc = engine.documents.get(id);
      if (!doc) throw new ApiError(404, 'not_found', `no document with id "${id}"`);
      if (engine.documents.size === 1) {
        throw new ApiError(409, 'last_document', 'an index needs at least one document; add another first');
      }
      const file = path.join(this.opts.corpusDir, path.basename(doc.source));
      // Moved aside rather than deleted, so a failed ingest can put it back.
      const aside = path.join(
        this.opts.corpusDir,
        `.${path.basename(file)}.${randomBytes(4).toString('hex')}.deleted`,
      );
      const moved = await rename(file, aside).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
          return false;
        },
      );
      try {
        await this.ingest();
      } catch (err) {
        if (moved) await rename(aside, file);
        throw err;
      }
      if (moved) await rm(aside, { force: true });
      await this.opts.live.reloadNow();
      return { id, deleted: true as const, ms: Math.round(performance.now() - t0) };
    });
  }

  private currentEngine(): Engine {
    const engine = this.opts.live.state().engine;
    if (!engine) throw new ApiError(503, 'not_ready', 'the index is not loaded yet');
    const prefix = `${path.basename(path.resolve(this.opts.corpusDir))}/`;
    if (!engine.index.manifest.documents.every((d) => d.source.startsWith(prefix))) {
      // Ingesting CORPUS_DIR would replace the whole index with another corpus.
      throw new ApiError(
        409,
        'corpus_mismatch',
        `the index was not built from CORPUS_DIR (${this.opts.corpusDir}); point CORPUS_DIR at its corpus folder`,
      );
    }
    return engine;
  }

  /** Ids of indexed documents and of files waiting in the corpus folder (a later ingest would index them). */
  private async idsInUse(engine: Engine): Promise<Set<string>> {
    const names = await readdir(this.opts.corpusDir).catch(() => [] as string[]);
    return new Set([...engine.documents.keys(), ...names.filter((n) => !n.startsWith('.')).map(docIdFor)]);
  }

  private defaultId(doc: NewDocument, content: string, taken: Set<string>): string {
    const name = doc.fileName ?? (doc.title ? `${doc.title}.txt` : '');
    const base = (name ? docIdFor(name) : '').slice(0, 80).replace(/[-.]+$/, '') || 'doc';
    return taken.has(base) || !name ? `${base}-${sha256(content).slice(0, 12)}` : base;
  }

  private async ingest(): Promise<void> {
    const engine = this.currentEngine();
    try {
      await ingest({
        corpusDir: this.opts.corpusDir,
        indexDir: this.opts.indexDir,
        embedder: engine.embedder,
        maxBytes: this.opts.maxDocBytes,
      });
    } catch (err) {
      if (err instanceof EmptyCorpusError) throw new ApiError(409, 'empty_corpus', err.message);
      throw err;
    }
  }
}

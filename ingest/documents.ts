import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { convert } from 'html-to-text';
import { contentSegments } from './clean.ts';
import type { DocumentRecord } from './types.ts';

export const SUPPORTED_EXTENSIONS = ['.txt', '.md', '.html', '.htm'] as const;

export interface Skipped {
  file: string;
  reason: string;
}

export interface LoadResult {
  documents: DocumentRecord[];
  skipped: Skipped[];
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A stable, URL-safe id from the file name: `seeds/004_ec9c.txt` → `004_ec9c`. */
export function docIdFor(fileName: string): string {
  const base = path.basename(fileName, path.extname(fileName));
  const id = base
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return id || sha256(fileName).slice(0, 16);
}

/**
 * Decodes bytes as strict UTF-8. Binary files (NUL bytes) and other encodings are refused rather than
 * guessed, because a mis-decoded document would produce citations that don't match the file.
 */
export function decodeText(bytes: Uint8Array): { text: string } | { error: string } {
  if (bytes.includes(0)) return { error: 'binary file (contains NUL bytes)' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text };
  } catch {
    return { error: 'not valid UTF-8 (convert it to UTF-8 first)' };
  }
}

/** HTML is reduced to its text; that text is what passages and citations point into. */
export function htmlToText(html: string): { text: string; title: string | null } {
  const title = html.match(/<title[^>]*>([^<]*)<\/title>/i)?.[1]?.trim() || null;
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'footer', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
    ],
  });
  return { text, title: title ? decodeEntities(title) : null };
}

function decodeEntities(s: string): string {
  return convert(s, { wordwrap: false });
}

const MAX_TITLE = 120;

/** The headline if the article starts with one (a short line without a final period), else its opening words. */
export function detectTitle(text: string, fallback: string): string {
  const first = contentSegments(text)[0];
  if (!first) return fallback;
  const line = text.slice(first.start, first.end).replace(/^#+\s*/, '');
  if (line.length <= MAX_TITLE * 1.5 && !/[.]$/.test(line)) return line;
  if (line.length <= MAX_TITLE) return line;
  const cut = line.slice(0, MAX_TITLE);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : MAX_TITLE)}…`;
}

/** Builds the record for one document from its decoded text. */
export function makeDocument(opts: {
  docId: string;
  source: string;
  text: string;
  title?: string | null;
}): DocumentRecord {
  const title = opts.title?.trim() || detectTitle(opts.text, opts.docId);
  return { docId: opts.docId, source: opts.source, title, text: opts.text, hash: sha256(opts.text) };
}

export interface LoadOptions {
  /** Files larger than this are skipped with a warning. */
  maxBytes: number;
}

/** Reads one file into a document, or explains why it can't be used. */
export async function loadFile(
  filePath: string,
  source: string,
  docId: string,
  opts: LoadOptions,
): Promise<DocumentRecord | Skipped> {
  try {
    const info = await stat(filePath);
    if (info.size > opts.maxBytes) {
      return {
        file: source,
        reason: `larger than ${formatBytes(opts.maxBytes)} (${formatBytes(info.size)}); raise MAX_DOC_BYTES to include it`,
      };
    }
    const decoded = decodeText(await readFile(filePath));
    if ('error' in decoded) return { file: source, reason: decoded.error };
    const ext = path.extname(filePath).toLowerCase();
    const { text, title } =
      ext === '.html' || ext === '.htm' ? htmlToText(decoded.text) : { text: decoded.text, title: null };
    if (contentSegments(text).length === 0) return { file: source, reason: 'empty (no text to index)' };
    return makeDocument({ docId, source, text, title });
  } catch (err) {
    return { file: source, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
}

/** Reads every supported file in `dir` (not recursive), sorted by name so ingestion is deterministic. */
export async function loadCorpus(dir: string, opts: LoadOptions): Promise<LoadResult> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const documents: DocumentRecord[] = [];
  const skipped: Skipped[] = [];
  const usedIds = new Set<string>();
  const sourcePrefix = path.basename(path.resolve(dir));
  for (const name of files) {
    const source = `${sourcePrefix}/${name}`;
    const ext = path.extname(name).toLowerCase();
    if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(ext)) {
      skipped.push({ file: source, reason: `unsupported type "${ext || '(none)'}"` });
      continue;
    }
    let docId = docIdFor(name);
    if (usedIds.has(docId)) docId = `${docId}-${ext.slice(1)}`;
    usedIds.add(docId);
    const result = await loadFile(path.join(dir, name), source, docId, opts);
    if ('reason' in result) skipped.push(result);
    else documents.push(result);
  }
  return { documents, skipped };
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

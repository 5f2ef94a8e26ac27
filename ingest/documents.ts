import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { convert } from 'html-to-text';
import { contentSegments } from './clean.ts';
import { ExtractError, type ExtractFailure, extractPdf } from './pdf.ts';
import type { DocumentRecord } from '../store/format.ts';

export const SUPPORTED_EXTENSIONS = ['.txt', '.md', '.html', '.htm', '.pdf', '.docx'] as const;
/** Formats read as binary files and converted to text (PDF.js, mammoth). */
export const BINARY_EXTENSIONS = ['.pdf', '.docx'] as const;

export const isBinaryFormat = (ext: string) => (BINARY_EXTENSIONS as readonly string[]).includes(ext.toLowerCase());

/** Limits of binary documents, from the environment: MAX_PDF_PAGES (2000), MAX_FILE_BYTES (100 MB). */
export function binaryLimits(env: NodeJS.ProcessEnv = process.env): { maxPages: number; maxFileBytes: number } {
  const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : d);
  return {
    maxPages: num(env.MAX_PDF_PAGES, 2000),
    maxFileBytes: num(env.MAX_FILE_BYTES, 100 * 1024 * 1024),
  };
}

export interface Extracted {
  text: string;
  title: string | null;
  pages?: number[];
}

/**
 * Converts a PDF or Word file to the text the index stores, or explains why it can't be used (encrypted,
 * corrupt, no text layer, too many pages). `onPage` reports progress through a long PDF.
 */
export async function extractBinary(
  bytes: Uint8Array,
  ext: string,
  opts: { maxPages?: number; onPage?: (done: number, total: number) => void } = {},
): Promise<Extracted | { error: string; kind: ExtractFailure }> {
  try {
    if (ext.toLowerCase() === '.pdf') {
      const maxPages = opts.maxPages ?? binaryLimits().maxPages;
      const pdf = await extractPdf(bytes, { maxPages, ...(opts.onPage ? { onPage: opts.onPage } : {}) });
      return { text: pdf.text, title: pdf.title, pages: pdf.pages };
    }
    const mammoth = (await import('mammoth')).default;
    const result = await mammoth
      .extractRawText({ buffer: Buffer.from(bytes) })
      .catch((err: unknown) => {
        throw new ExtractError('corrupt', `not a readable Word (.docx) file (${(err as Error)?.message ?? String(err)})`);
      });
    // mammoth ends every paragraph with a blank line; trailing ones carry nothing.
    return { text: result.value.replace(/\s+$/, '\n'), title: null };
  } catch (err) {
    if (err instanceof ExtractError) return { error: err.message, kind: err.kind };
    return { error: `cannot read it (${(err as Error)?.message ?? String(err)})`, kind: 'corrupt' };
  }
}

export interface Skipped {
  file: string;
  reason: string;
  /** Why a PDF or Word file was refused: lets the documents API answer 400, 413 or 415. */
  kind?: ExtractFailure | 'too_large';
}

export interface LoadResult {
  documents: DocumentRecord[];
  skipped: Skipped[];
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A name that the steps of `docIdFor` leave as it is. */
const PLAIN_ID = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

/** A stable, URL-safe id from the file name: `seeds/004_ec9c.txt` → `004_ec9c`. */
export function docIdFor(fileName: string): string {
  const base = path.basename(fileName, path.extname(fileName));
  // Most names are ids already: the Unicode folding below is most of the time of listing a large corpus.
  if (PLAIN_ID.test(base)) return base;
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
  // Badge and image lines (`[![build](…)](…)`, `![banner](…)`) open many READMEs: they are not titles.
  const segments = contentSegments(text)
    .slice(0, 12)
    .filter((s) => !s.code && !onlyLinks(text.slice(s.start, s.end)));
  const first = segments[0];
  if (!first) return fallback;
  // A Markdown "# Title" near the top is the title, whatever precedes it.
  const heading = segments.find(
    (s) =>
      /^#\s/.test(text.slice(text.lastIndexOf('\n', s.start - 1) + 1, s.end)) ||
      /^\r?\n=+[ \t]*(\r?\n|$)/.test(text.slice(s.end, s.end + 200)),
  );
  if (heading) return text.slice(heading.start, heading.end).trim();
  const line = text.slice(first.start, first.end).replace(/^#+\s*/, '');
  if (line.length <= MAX_TITLE * 1.5 && !/[.]$/.test(line)) return line;
  // No headline: a file name made of words says more than the opening words ("1962_john_f_kennedy_d").
  const named = fallback.split(/[_\-\s.]+/).filter(Boolean);
  if (named.filter((w) => /^\p{L}{2,}$/u.test(w)).length >= 2 && !named.some((w) => /^[0-9a-f]{8,}$/i.test(w))) {
    return named.map((w) => (w[0] as string).toUpperCase() + w.slice(1)).join(' ');
  }
  if (line.length <= MAX_TITLE) return line;
  const cut = line.slice(0, MAX_TITLE);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : MAX_TITLE)}…`;
}

/** A line of nothing but links, images and separators: a badge row or a table of contents. */
function onlyLinks(line: string): boolean {
  let rest = line;
  for (let i = 0; i < 3; i++) rest = rest.replace(/!?\[[^\]]*\]\([^)]*\)/g, '');
  return /[[\]()]/.test(line) && !/[\p{L}\p{N}]/u.test(rest);
}

export function makeDocument(opts: {
  docId: string;
  source: string;
  text: string;
  title?: string | null;
  pages?: number[] | undefined;
}): DocumentRecord {
  const title = opts.title?.trim() || detectTitle(opts.text, opts.docId);
  const doc: DocumentRecord = { docId: opts.docId, source: opts.source, title, text: opts.text, hash: sha256(opts.text) };
  if (opts.pages) doc.pages = opts.pages;
  return doc;
}

export interface LoadOptions {
  /** Files larger than this are skipped with a warning (for PDF and Word files: their text). */
  maxBytes: number;
  /** PDF and Word files larger than this are skipped (default MAX_FILE_BYTES, 100 MB). */
  maxFileBytes?: number;
  /** PDFs with more pages are skipped (default MAX_PDF_PAGES, 2000). */
  maxPages?: number;
  /** Progress through a PDF's pages. */
  onPage?: (file: string, done: number, total: number) => void;
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
    const ext = path.extname(filePath).toLowerCase();
    if (isBinaryFormat(ext)) return await loadBinary(filePath, info.size, source, docId, ext, opts);
    if (info.size > opts.maxBytes) {
      return {
        file: source,
        reason: `larger than ${formatBytes(opts.maxBytes)} (${formatBytes(info.size)}); raise MAX_DOC_BYTES to include it`,
      };
    }
    const decoded = decodeText(await readFile(filePath));
    if ('error' in decoded) return { file: source, reason: decoded.error };
    const { text, title } =
      ext === '.html' || ext === '.htm' ? htmlToText(decoded.text) : { text: decoded.text, title: null };
    if (contentSegments(text).length === 0) return { file: source, reason: 'empty (no text to index)' };
    return makeDocument({ docId, source, text, title });
  } catch (err) {
    return { file: source, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
}

/** Extractions of PDF and Word files by content, most recently used last. */
const extractCache = new Map<string, Awaited<ReturnType<typeof extractBinary>>>();
const EXTRACT_CACHE_SIZE = 256;

async function loadBinary(
  filePath: string,
  size: number,
  source: string,
  docId: string,
  ext: string,
  opts: LoadOptions,
): Promise<DocumentRecord | Skipped> {
  const limits = binaryLimits();
  const maxFileBytes = opts.maxFileBytes ?? limits.maxFileBytes;
  if (size > maxFileBytes) {
    return {
      file: source,
      reason: `larger than ${formatBytes(maxFileBytes)} (${formatBytes(size)}); raise MAX_FILE_BYTES to include it`,
      kind: 'too_large',
    };
  }
  const onPage = opts.onPage;
  const bytes = await readFile(filePath);
  const maxPages = opts.maxPages ?? limits.maxPages;
  // Every ingest and every documents API change reads the whole folder: a PDF is parsed once per content.
  const key = `${ext}:${maxPages}:${sha256(bytes)}`;
  let extracted = extractCache.get(key);
  if (extracted) {
    extractCache.delete(key);
  } else {
    extracted = await extractBinary(bytes, ext, {
      maxPages,
      ...(onPage ? { onPage: (done: number, total: number) => onPage(source, done, total) } : {}),
    });
  }
  extractCache.set(key, extracted);
  for (const oldest of extractCache.keys()) {
    if (extractCache.size <= EXTRACT_CACHE_SIZE) break;
    extractCache.delete(oldest);
  }
  if ('error' in extracted) return { file: source, reason: extracted.error, kind: extracted.kind };
  const { text, title, pages } = extracted;
  if (text.length > opts.maxBytes) {
    return {
      file: source,
      reason: `its text is larger than ${formatBytes(opts.maxBytes)} (${formatBytes(text.length)}); raise MAX_DOC_BYTES to include it`,
      kind: 'too_large',
    };
  }
  if (contentSegments(text).length === 0) return { file: source, reason: 'empty (no text to index)' };
  return makeDocument({ docId, source, text, title, pages });
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

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';

/**
 * PDF text extraction with PDF.js (the legacy build runs in Node). The text it returns is what the index
 * stores and citations point into, so it is built once, deterministically, from the page geometry:
 *
 * - pages in order, separated by `\n\f\n` (a form feed on its own line), or by ` \f ` where a sentence
 *   runs on to the next page; `pages[i]` is where page i+1 starts;
 * - on each page, columns (a vertical gutter free of text) are read one after the other, top to bottom;
 * - lines of a paragraph are joined by a space, paragraphs (a gap larger than the line spacing) by a
 *   blank line; a line ending in a hyphen is joined to the next by U+200B (ZERO WIDTH SPACE, an invisible
 *   mark of the line break): the printed hyphen stays in the text (`full-scale` reads as printed), and
 *   matching (`foldTypography`) rejoins a word hyphenated at the line end, `inter-\u200Bnational`.
 * - ligatures (ﬁ, ﬂ) are expanded by PDF.js's text normalisation.
 */

export const PAGE_SEPARATOR = '\n\f\n';
/**
 * Joins pages where a sentence runs on from one page to the next (the page ends without a full stop and
 * the next one starts in lower case): a form feed inside the paragraph, so the sentence stays whole.
 */
export const PAGE_CONTINUATION = ' \f ';
/** Joins a line that ends with a hyphen to the next one: see `foldTypography` in store/lexical/words.ts. */
export const HYPHEN_BREAK = '\u200B';

export type ExtractFailure = 'encrypted' | 'corrupt' | 'no_text' | 'too_many_pages';

/** A file that cannot be indexed, with the reason the CLI prints and the API returns. */
export class ExtractError extends Error {
  override name = 'ExtractError';
  constructor(
    readonly kind: ExtractFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ExtractedPdf {
  text: string;
  /** Start offset of every page's text in `text` (one entry per page, empty pages included). */
  pages: number[];
  /** The PDF's own Title, if it has one. */
  title: string | null;
}

export interface PdfOptions {
  maxPages: number;
  /** Called after each page: lets the CLI show progress on a long PDF. */
  onPage?: (done: number, total: number) => void;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | null = null;
const require = createRequire(import.meta.url);
const standardFontDataUrl = `${path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts')}/`;

function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs').then((m) => {
    // The fake worker (same thread) loads this module; point it at the file, not a bundler URL.
    m.GlobalWorkerOptions.workerSrc = pathToFileURL(
      require.resolve('pdfjs-dist/legacy/build/pdf.worker.mjs'),
    ).href;
    return m;
  });
  return pdfjs;
}

/** Extracts the text of a PDF, page by page, or throws an `ExtractError` saying why it can't be indexed. */
export async function extractPdf(bytes: Uint8Array, opts: PdfOptions): Promise<ExtractedPdf> {
  const lib = await loadPdfJs();
  const task = lib.getDocument({
    // PDF.js takes ownership of (detaches) the buffer it is given.
    data: new Uint8Array(bytes),
    disableFontFace: true,
    useSystemFonts: false,
    isEvalSupported: false,
    standardFontDataUrl,
    verbosity: lib.VerbosityLevel.ERRORS,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => {});
    const name = (err as Error)?.name;
    if (name === 'PasswordException') {
      throw new ExtractError('encrypted', 'encrypted PDF (password protected): remove the password first');
    }
    throw new ExtractError('corrupt', `not a readable PDF (${(err as Error)?.message ?? String(err)})`);
  }
  try {
    if (doc.numPages > opts.maxPages) {
      throw new ExtractError(
        'too_many_pages',
        `${doc.numPages} pages, over the ${opts.maxPages}-page limit (raise MAX_PDF_PAGES to include it)`,
      );
    }
    const info = (await doc.getMetadata().catch(() => null))?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === 'string' && info.Title.trim() ? info.Title.trim() : null;
    let text = '';
    const pages: number[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      let body: string;
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent();
        body = pageText(content.items.filter((i): i is TextItem => 'str' in i));
        page.cleanup();
      } catch (err) {
        if (err instanceof ExtractError) throw err;
        throw new ExtractError('corrupt', `page ${n} cannot be read (${(err as Error)?.message ?? String(err)})`);
      }
      if (n > 1) text += runsOn(text, body) ? PAGE_CONTINUATION : PAGE_SEPARATOR;
      pages.push(text.length);
      text += body;
      opts.onPage?.(n, doc.numPages);
    }
    if (!/[\p{L}\p{N}]/u.test(text)) {
      throw new ExtractError('no_text', 'no text layer: OCR is not supported (a scanned or image-only PDF)');
    }
    return { text, pages, title };
  } finally {
    await doc.destroy().catch(() => {});
  }
}

/** A sentence that runs on from one page to the next: no full stop at the end, lower case at the start. */
function runsOn(before: string, after: string): boolean {
  return /[\p{L}\p{N},;]$/u.test(before) && /^[\p{Ll}]/u.test(after);
}

interface Box {
  str: string;
  x: number;
  y: number;
  w: number;
  size: number;
}

interface Line {
  y: number;
  x0: number;
  x1: number;
  size: number;
  text: string;
}

/** The text of one page: columns in reading order, paragraphs separated by blank lines. */
export function pageText(items: TextItem[]): string {
  const boxes: Box[] = [];
  for (const it of items) {
    if (!it.str.trim()) continue;
    const [a = 1, b = 0, , , e = 0, f = 0] = it.transform as number[];
    const size = Math.hypot(a, b) || it.height || 10;
    boxes.push({ str: it.str, x: e, y: f, w: Math.max(0, it.width), size });
  }
  if (boxes.length === 0) return '';
  const paragraphs: string[] = [];
  for (const column of columns(boxes)) paragraphs.push(...toParagraphs(toLines(column)));
  return paragraphs.join('\n\n');
}

/**
 * Splits a page into reading-order groups: text spanning the page above the columns, the left column, the
 * right column, then text spanning the page below them. A gutter is an x range in the middle of the text
 * crossed by (almost) no text item, with enough text on both sides.
 */
function columns(boxes: Box[]): Box[][] {
  const left = Math.min(...boxes.map((b) => b.x));
  const right = Math.max(...boxes.map((b) => b.x + b.w));
  const width = right - left;
  if (width <= 0 || boxes.length < 6) return [boxes];
  let best: { x: number; count: number } | null = null;
  for (let x = left + width * 0.25; x <= left + width * 0.75; x += 1) {
    const count = boxes.filter((b) => b.x < x && b.x + b.w > x).length;
    if (!best || count < best.count) best = { x, count };
  }
  if (!best) return [boxes];
  const gutter = best.x;
  const spanning = boxes.filter((b) => b.x < gutter && b.x + b.w > gutter);
  if (spanning.length > Math.max(2, boxes.length * 0.1)) return [boxes];
  const leftCol = boxes.filter((b) => b.x + b.w <= gutter);
  const rightCol = boxes.filter((b) => b.x >= gutter);
  // Both sides need several lines of their own, else it is ragged single-column text.
  const lineCount = (bs: Box[]) => new Set(bs.map((b) => Math.round(b.y))).size;
  if (lineCount(leftCol) < 3 || lineCount(rightCol) < 3) return [boxes];
  const top = Math.max(...[...leftCol, ...rightCol].map((b) => b.y));
  const above = spanning.filter((b) => b.y > top);
  const below = spanning.filter((b) => b.y <= top);
  return [above, leftCol, rightCol, below].filter((g) => g.length > 0);
}

/** Groups boxes into lines (same baseline, within half a font size), top to bottom, left to right. */
function toLines(boxes: Box[]): Line[] {
  const sorted = [...boxes].sort((p, q) => q.y - p.y || p.x - q.x);
  const groups: Box[][] = [];
  for (const b of sorted) {
    const g = groups[groups.length - 1];
    const first = g?.[0];
    if (g && first && Math.abs(first.y - b.y) < Math.min(first.size, b.size) * 0.5) g.push(b);
    else groups.push([b]);
  }
  return groups.map((g) => {
    g.sort((p, q) => p.x - q.x);
    let text = '';
    let end = Number.NEGATIVE_INFINITY;
    for (const b of g) {
      const gap = b.x - end;
      if (text && gap > b.size * 0.15 && !/\s$/.test(text) && !/^\s/.test(b.str)) text += ' ';
      text += b.str;
      end = Math.max(end, b.x + b.w);
    }
    const first = g[0] as Box;
    return {
      y: first.y,
      x0: first.x,
      x1: end,
      size: Math.max(...g.map((b) => b.size)),
      // Odd spacing (runs of spaces, tabs) is layout: one space.
      text: text.replace(/\s+/g, ' ').trim(),
    };
  });
}

/** Joins lines into paragraphs: a new paragraph where the gap to the previous line is larger than usual. */
function toParagraphs(lines: Line[]): string[] {
  const gaps: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const gap = (lines[i - 1] as Line).y - (lines[i] as Line).y;
    if (gap > 0) gaps.push(gap);
  }
  gaps.sort((p, q) => p - q);
  const usual = gaps[Math.floor(gaps.length / 2)] ?? 0;
  const paragraphs: string[] = [];
  let current = '';
  let prev: Line | null = null;
  for (const line of lines) {
    if (!line.text) continue;
    const gap = prev ? prev.y - line.y : 0;
    // Usual line spacing is about 1.2 font sizes; a paragraph gap is larger (or a font size change).
    const threshold = Math.max(line.size * 1.25, Math.min(usual * 1.3, line.size * 1.9));
    const breaks = !prev || gap > threshold || gap < 0 || Math.abs(line.size - prev.size) > 1;
    if (breaks) {
      if (current) paragraphs.push(current);
      current = line.text;
    } else if (/\p{L}-$/u.test(current)) {
      current += HYPHEN_BREAK + line.text;
    } else {
      current += ` ${line.text}`;
    }
    prev = line;
  }
  if (current) paragraphs.push(current);
  return paragraphs;
}

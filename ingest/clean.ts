/**
 * Boilerplate removal that keeps offsets: instead of rewriting the text, it returns the spans of the
 * original text that are worth citing. Everything downstream works on those spans, so a passage is
 * always `original.slice(start, end)`.
 */

export interface Span {
  start: number;
  end: number;
  /** A fenced code block (Markdown ``` or ~~~): cited whole, never split into sentences or merged with prose. */
  code?: boolean;
}

const FENCE = /^\s{0,3}(```|~~~)/;

/** Whole lines that web scrapes carry and that must never be cited. */
const BOILERPLATE_LINES: RegExp[] = [
  /^support us$/i,
  /^advert(isement)?s?:?$/i,
  /^source:\s*read full article$/i,
  /^read (the )?full (article|story)\.?$/i,
  /^leave a (reply|comment)$/i,
  /^(share|share this|share this article|related articles?|more info|sign up|subscribe)$/i,
  /^(click|tap) here\b/i,
  /we use your sign-up to provide content/i,
  /\b(you can )?unsubscribe at any time\b/i,
  /^(•|\*|-)?\s*(advert-free|ad-free|rocket-fast|exclusive & unlimited access)/i,
  /^(cookie|cookies)\b.*\b(consent|accept|policy)\b/i,
];

/** Markup left inside a line by sloppy scrapes, e.g. `< /p>`, `<br/>`. */
const STRAY_TAG = /<\s*\/?\s*[a-z][a-z0-9]*\s*\/?\s*>/gi;

/** Characters at the start of a segment that are formatting, not content (quote markers, md headings, bullets). */
const LEADING_MARKUP = /^(?:[>#*•\-\s]|&gt;)+/;

export function isBoilerplate(line: string): boolean {
  const t = line.trim();
  return t.length > 0 && BOILERPLATE_LINES.some((re) => re.test(t));
}

/**
 * Splits `text` into content segments: one or more per non-empty, non-boilerplate line, with stray tags
 * cut out and leading/trailing whitespace and markup trimmed off. Segments never cross a line break,
 * except a fenced code block, which is one segment (its lines kept as written).
 */
export function contentSegments(text: string): Span[] {
  const segments: Span[] = [];
  const lineRe = /[^\r\n]+/g;
  let fence: { marker: string; start: number; end: number } | null = null;
  for (let m = lineRe.exec(text); m; m = lineRe.exec(text)) {
    const line = m[0];
    const opening = FENCE.exec(line);
    if (fence) {
      if (opening && opening[1] === fence.marker && /^\s{0,3}(`{3,}|~{3,})\s*$/.test(line)) {
        if (fence.end > fence.start) segments.push({ start: fence.start, end: fence.end, code: true });
        fence = null;
      } else {
        if (fence.end === fence.start && line.trim() === '') continue;
        if (fence.end === fence.start) fence.start = m.index;
        if (line.trim() !== '') fence.end = m.index + line.length;
      }
      continue;
    }
    if (opening) {
      const after = m.index + m[0].length;
      fence = { marker: opening[1] as string, start: after, end: after };
      continue;
    }
    if (isBoilerplate(line)) continue;
    let cursor = 0;
    const pieces: Span[] = [];
    for (const tag of line.matchAll(STRAY_TAG)) {
      pieces.push({ start: cursor, end: tag.index });
      cursor = tag.index + tag[0].length;
    }
    pieces.push({ start: cursor, end: line.length });
    for (const p of pieces) {
      const trimmed = trimSpan(line, p);
      if (trimmed) segments.push({ start: m.index + trimmed.start, end: m.index + trimmed.end });
    }
  }
  // An unclosed fence runs to the end of the text, as Markdown renders it.
  if (fence && fence.end > fence.start) segments.push({ start: fence.start, end: fence.end, code: true });
  return segments;
}

function trimSpan(line: string, span: Span): Span | null {
  const piece = line.slice(span.start, span.end);
  const lead = piece.match(LEADING_MARKUP)?.[0].length ?? 0;
  const trail = piece.length - piece.trimEnd().length;
  const start = span.start + lead;
  const end = span.end - trail;
  // A segment must contain at least one letter or digit to be worth citing.
  return end > start && /[\p{L}\p{N}]/u.test(line.slice(start, end)) ? { start, end } : null;
}

/**
 * The complement of the content segments, without pure whitespace: what a reader of the whole document
 * need not see (stray tags, "Leave a Reply", sign-up blurbs, markup). Offsets into `text`, for display only.
 */
export function boilerplateRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let cursor = 0;
  const push = (start: number, end: number) => {
    const piece = text.slice(start, end);
    if (!/[\p{L}\p{N}<>]/u.test(piece)) return;
    const lead = piece.length - piece.trimStart().length;
    out.push([start + lead, end - (piece.length - piece.trimEnd().length)]);
  };
  for (const s of contentSegments(text)) {
    if (s.start > cursor) push(cursor, s.start);
    cursor = Math.max(cursor, s.end);
  }
  if (cursor < text.length) push(cursor, text.length);
  // Markdown markup before a segment ("## ", "- ") is not residue: only spans with letters, digits or tags.
  return out.filter(([a, b]) => !/^[#>*•\-\s]+$/.test(text.slice(a, b)));
}

const MONTH = 'January|February|March|April|May|June|July|August|September|October|November|December';
const FULL_DATE = new RegExp(
  `\\b(?:(?:${MONTH})\\s+\\d{1,2},?\\s+\\d{4}|\\d{1,2}\\s+(?:${MONTH})\\s+\\d{4}|\\d{4}-\\d{2}-\\d{2})\\b`,
);

/**
 * The date a document carries near its top (a dateline such as "Friday, 11 March 2022, 13:00"), as
 * written, or null. Looked for in the first few lines only: a date deep in the text is content, not when
 * the document was written.
 */
export function datelineOf(text: string): string | null {
  for (const s of contentSegments(text).slice(0, 6)) {
    const line = text.slice(s.start, s.end);
    if (line.length > 200) continue;
    const m = FULL_DATE.exec(line);
    if (m) return m[0];
  }
  return null;
}

/**
 * Boilerplate removal that keeps offsets: instead of rewriting the text, it returns the spans of the
 * original text that are worth citing. Everything downstream works on those spans, so a passage is
 * always `original.slice(start, end)`.
 */

export interface Span {
  start: number;
  end: number;
}

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
 * cut out and leading/trailing whitespace and markup trimmed off. Segments never cross a line break.
 */
export function contentSegments(text: string): Span[] {
  const segments: Span[] = [];
  const lineRe = /[^\r\n]+/g;
  for (let m = lineRe.exec(text); m; m = lineRe.exec(text)) {
    const line = m[0];
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

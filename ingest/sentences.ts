import winkNLP, { type ItemSentence } from 'wink-nlp';
import type { Span } from './clean.ts';
import { englishModel } from './english-model.ts';

// Only sentence boundary detection: the full pipeline (NER, POS) is 3× slower and not needed to split.
// Made on first use: a server imports this for its documents API but splits nothing to answer, and
// reading the model is a tenth of a second of its cold start.
let shared: ReturnType<typeof winkNLP> | null = null;
const splitter = () => (shared ??= winkNLP(englishModel(), ['sbd']));

/** Longest sentence kept whole; longer ones (tables, run-on lines) are cut at word boundaries. */
export const MAX_SENTENCE_CHARS = 600;

/**
 * Runs of this many non-space characters (a pasted blob, a giant URL) are not prose: wink-nlp's tokenizer
 * takes time quadratic in a token's length (a 1 MB run took six minutes), so they bypass it and are only
 * cut to size.
 */
const LONG_RUN = /\S{200,}/g;

/**
 * Sentence spans inside `segment` of `text`, as offsets into `text`. wink-nlp finds the boundaries
 * (handles abbreviations, curly quotes, decimals); we map its tokens back onto the original characters
 * by scanning forward, so the spans are exact even where wink normalises a token.
 */
export function splitSentences(text: string, segment: Span): Span[] {
  const spans: Span[] = [];
  let cursor = segment.start;
  const prose = (end: number) => {
    const piece = text.slice(cursor, end);
    const start = cursor + (piece.length - piece.trimStart().length);
    const stop = end - (piece.length - piece.trimEnd().length);
    if (stop > start) spans.push(...proseSentences(text, { start, end: stop }));
  };
  for (const run of text.slice(segment.start, segment.end).matchAll(LONG_RUN)) {
    const start = segment.start + run.index;
    prose(start);
    spans.push(...cutLong(text, { start, end: start + run[0].length }));
    cursor = start + run[0].length;
  }
  prose(segment.end);
  return spans;
}

function proseSentences(text: string, segment: Span): Span[] {
  const slice = text.slice(segment.start, segment.end);
  const nlp = splitter();
  const doc = nlp.readDoc(slice);
  const tokens: string[] = doc.tokens().out(nlp.its.value);
  const starts: number[] = [];
  const ends: number[] = [];
  let cursor = 0;
  for (const tok of tokens) {
    const at = slice.indexOf(tok, cursor);
    if (at < 0) {
      starts.push(cursor);
      ends.push(cursor);
      continue;
    }
    starts.push(at);
    ends.push(at + tok.length);
    cursor = at + tok.length;
  }
  const spans: Span[] = [];
  doc.sentences().each((s: ItemSentence) => {
    const [first, last] = s.out(nlp.its.span) as [number, number];
    const start = starts[first];
    const end = ends[last];
    if (start === undefined || end === undefined || end <= start) return;
    spans.push({ start: segment.start + start, end: segment.start + end });
  });
  // The first and last sentence are stretched to the segment's edges so nothing wink skipped is lost.
  if (spans.length === 0) spans.push({ ...segment });
  (spans[0] as Span).start = segment.start;
  (spans[spans.length - 1] as Span).end = segment.end;
  return withinCode(text, spans).flatMap((s) => cutLong(text, s));
}

/**
 * `spans` with the boundaries wink found inside inline code or inside a word joined: the dot of
 * `process.stderr` or of a link's `docs/web.md#koa` ends no sentence. A boundary is inside code when an odd
 * number of backticks precede it (on its line) and one follows; inside a word when no space separates the
 * two sentences and the second goes on in lower case, a digit or a path ("said.The" is still two).
 */
function withinCode(text: string, spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    const last = out[out.length - 1];
    if (last && (insideCode(text, last.end) || insideWord(text, last.end, span.start))) last.end = span.end;
    else out.push({ ...span });
  }
  return out;
}

function insideWord(text: string, end: number, next: number): boolean {
  return next === end && /\S/.test(text[end - 1] ?? ' ') && /[\p{Ll}\p{N}#/_-]/u.test(text[next] ?? ' ');
}

function insideCode(text: string, at: number): boolean {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0) lineEnd = text.length;
  const before = text.slice(lineStart, at).split('`').length - 1;
  return before % 2 === 1 && text.slice(at, lineEnd).includes('`');
}

function cutLong(text: string, span: Span): Span[] {
  if (span.end - span.start <= MAX_SENTENCE_CHARS) return [span];
  const out: Span[] = [];
  let start = span.start;
  while (span.end - start > MAX_SENTENCE_CHARS) {
    const window = text.slice(start, start + MAX_SENTENCE_CHARS);
    const space = window.lastIndexOf(' ');
    let cut = space > MAX_SENTENCE_CHARS / 2 ? start + space : start + MAX_SENTENCE_CHARS;
    // Never split a surrogate pair (emoji, rare scripts).
    if (/[\uD800-\uDBFF]/.test(text[cut - 1] as string)) cut--;
    out.push({ start, end: cut });
    start = cut;
    while (start < span.end && /\s/.test(text[start] as string)) start++;
  }
  if (span.end > start) out.push({ start, end: span.end });
  return out;
}

import { contentSegments, type Span } from './clean.ts';
import { sha256 } from './documents.ts';
import { MAX_SENTENCE_CHARS, splitSentences } from './sentences.ts';
import type { Chunking, DocumentRecord, Passage } from '../store/format.ts';

/**
 * Passages are small (a paragraph, or a few sentences of a long one) so that a citation points at the
 * exact support rather than a page; tiny paragraphs (a one-line quote) join the next one for context.
 */
export const DEFAULT_CHUNKING: Chunking = { maxChars: 600, maxSentences: 4, minChars: 160 };

/** Splits a document into sentence-aligned passages whose text is exactly `doc.text.slice(start, end)`. */
export function toPassages(doc: DocumentRecord, chunking: Chunking = DEFAULT_CHUNKING): Passage[] {
  const text = doc.text;
  const passages: Passage[] = [];
  let current: Span[] = [];

  const flush = () => {
    const first = current[0];
    const last = current[current.length - 1];
    if (!first || !last) return;
    const slice = text.slice(first.start, last.end);
    passages.push({
      id: `${doc.docId}:${passages.length}`,
      docId: doc.docId,
      start: first.start,
      end: last.end,
      text: slice,
      sentences: current.map((s) => [s.start, s.end]),
      hash: sha256(slice),
    });
    current = [];
  };

  for (const segment of contentSegments(text)) {
    if (segment.code) {
      // A code block is a passage of its own (cut at line ends if long), quoted whole, never prose.
      flush();
      for (const piece of codePieces(text, segment, chunking.maxChars)) {
        current = [piece];
        flush();
      }
      continue;
    }
    const sentences = splitSentences(text, segment);
    const prev = current[current.length - 1];
    const next = sentences[0];
    if (
      prev &&
      next &&
      continuesLine(text, prev, segment) &&
      next.end - prev.start <= MAX_SENTENCE_CHARS &&
      next.end - (current[0] as Span).start <= chunking.maxChars
    ) {
      // The sentence goes on after a line break (a Markdown paragraph, hard-wrapped text): one sentence.
      prev.end = next.end;
      sentences.shift();
    } else {
      // Join the previous paragraph only if it is short and nothing but whitespace lies between them,
      // so a passage never spans removed boilerplate; and never glue a headline, caption, dateline or byline
      // (a short line that is not a sentence) to the prose after it, except a Markdown heading, which
      // belongs with its section.
      const standalone = prev && !isSentenceEnd(text, prev) && !isMarkdownHeading(text, current[0] as Span);
      if (
        prev &&
        (standalone || !(length(current) < chunking.minChars && /^\s*$/.test(text.slice(prev.end, segment.start))))
      ) {
        flush();
      }
    }
    for (const sentence of sentences) {
      const first = current[0];
      if (
        first &&
        (sentence.end - first.start > chunking.maxChars || current.length >= chunking.maxSentences)
      ) {
        flush();
      }
      current.push(sentence);
    }
  }
  flush();
  return passages;
}

function length(spans: Span[]): number {
  const first = spans[0];
  const last = spans[spans.length - 1];
  return first && last ? last.end - first.start : 0;
}

/**
 * A code block cut at line ends into pieces of at most `max` characters (a longer line is kept whole). A
 * piece ends before its least indented line past its first third, so an item of a CLI help or a config
 * ("  -c NUM" and its indented description, "default: 10") stays in one piece.
 */
function codePieces(text: string, block: Span, max: number): Span[] {
  const lines = [...text.slice(block.start, block.end).matchAll(/[^\n]*(?:\n|$)/g)]
    .filter((m) => m[0] !== '')
    .map((m) => {
      const body = m[0].replace(/\r?\n$/, '');
      const start = block.start + m.index;
      return { start, end: start + body.length, indent: /\S/.test(body) ? body.length - body.trimStart().length : Infinity };
    });
  const out: Span[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i] as (typeof lines)[number];
    let j = i;
    while (j + 1 < lines.length && (lines[j + 1] as (typeof lines)[number]).end - first.start <= max) j++;
    let cut = j + 1;
    if (cut < lines.length) {
      let least = Number.POSITIVE_INFINITY;
      for (let k = i + 1; k <= j + 1; k++) {
        const line = lines[k] as (typeof lines)[number];
        if (line.start - first.start >= ((lines[j] as (typeof lines)[number]).end - first.start) / 3 && line.indent <= least) {
          least = line.indent;
          cut = k;
        }
      }
    }
    out.push({ start: first.start, end: (lines[cut - 1] as (typeof lines)[number]).end });
    i = cut;
  }
  return out.filter((s) => /\S/.test(text.slice(s.start, s.end)));
}

/** Whether a span ends as a sentence does (., !, ?, a colon, or a closing quote after one). */
function isSentenceEnd(text: string, span: Span): boolean {
  return /[.!?:;…]["'”’»)\]]*$/.test(text.slice(span.start, span.end));
}

/**
 * Whether `segment` is the next line of the sentence `prev` ends: only a line break between them (no blank
 * line, no list or table mark), `prev` without a sentence end and not a heading, `segment` starting in
 * lower case, as a wrapped line does ("…module can be used to" / "format logs during development:").
 */
function continuesLine(text: string, prev: Span, segment: Span): boolean {
  return (
    /^[ \t]*\r?\n[ \t]*$/.test(text.slice(prev.end, segment.start)) &&
    /^\p{Ll}/u.test(text.slice(segment.start, segment.start + 1)) &&
    !isSentenceEnd(text, prev) &&
    !isMarkdownHeading(text, prev)
  );
}

/** Whether a span is a Markdown heading line ("## Install"; the marks are outside the span). */
function isMarkdownHeading(text: string, span: Span): boolean {
  const lineStart = text.lastIndexOf('\n', span.start - 1) + 1;
  return /^ {0,3}#{1,6}\s/.test(text.slice(lineStart, span.end));
}

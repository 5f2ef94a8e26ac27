import type { DocumentRecord } from '../../store/format.ts';
import type { Retrieved } from './retrieve.ts';
import { contentSegments } from '../../ingest/clean.ts';
import { foldTypography } from '../../store/lexical/words.ts';

/** A candidate answer: one sentence, or two neighbours, of a retrieved passage (offsets into the document). */
export interface Unit {
  hit: Retrieved;
  /** Rank of the passage in the fused list. */
  rank: number;
  start: number;
  end: number;
  text: string;
  /** Two sentences quoted together. */
  pair: boolean;
  /** Starts with a pronoun or connective ("He warned…", "After that…"): leans on the sentence before. */
  dependent: boolean;
  /** Index of the (first) sentence in its passage. */
  sentence: number;
  /** The Markdown heading the unit sits under ('' if none): context it is matched together with. */
  heading: string;
}

const HEADING = /^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm;
const headingMemo = new WeakMap<DocumentRecord, Array<{ start: number; text: string }>>();

/** The document's Markdown headings (outside code blocks), in order. */
function headingsOf(doc: DocumentRecord): Array<{ start: number; text: string }> {
  let hs = headingMemo.get(doc);
  if (!hs) {
    const code = contentSegments(doc.text).filter((s) => s.code);
    hs = [...doc.text.matchAll(HEADING)]
      .filter((m) => !code.some((c) => c.start <= m.index && m.index < c.end))
      .map((m) => ({ start: m.index, text: m[1] as string }));
    headingMemo.set(doc, hs);
  }
  return hs;
}

/** The nearest heading before `offset` (not the unit's own line). */
function headingAt(doc: DocumentRecord, offset: number): string {
  let found = '';
  for (const h of headingsOf(doc)) {
    if (h.start + 3 >= offset) break;
    found = h.text;
  }
  return found;
}

/** Openings that refer back: a sentence starting so is quoted with the one before it. */
const DEPENDENT =
  /^["'“‘(]*(he|she|it|they|this|that|these|those|his|her|its|their|there|such|but|and|however|after that|then|also|meanwhile|still|yet|so|thus|therefore|moreover|instead|both)\b/i;

/**
 * The units of the passages read: each sentence and each pair of neighbours in the same paragraph.
 * A pair never crosses a line break, so a headline, dateline, caption, byline, list item or table row (a
 * line of its own) is quoted on its own, never glued to the sentence after it; a code block is one unit.
 */
export function unitsOf(retrieved: Retrieved[], docs: Map<string, DocumentRecord>, read: number): Unit[] {
  const out: Unit[] = [];
  retrieved.slice(0, read).forEach((hit, rank) => {
    const doc = docs.get(hit.passage.docId);
    if (!doc) return;
    // A code block (one multi-line "sentence") is read line by line too: a CLI help or a config file
    // answers in a line or two ("-c/--connections NUM" + "The number of … default: 10").
    const sentences =
      hit.passage.sentences.length === 1 && hit.passage.text.includes('\n')
        ? [...linesOf(doc.text, hit.passage.sentences[0] as [number, number])]
        : hit.passage.sentences;
    sentences.forEach(([start, end], i) => {
      const text = doc.text.slice(start, end);
      const dependent = DEPENDENT.test(foldTypography(text));
      const heading = headingAt(doc, start);
      out.push({ hit, rank, start, end, text, pair: false, dependent, sentence: i, heading });
      const next = sentences[i + 1];
      const code = sentences !== hit.passage.sentences;
      if (next && (code || !/[\r\n]/.test(doc.text.slice(end, next[0])))) {
        const pairText = doc.text.slice(start, next[1]);
        out.push({ hit, rank, start, end: next[1], text: pairText, pair: true, dependent, sentence: i, heading });
      }
    });
  });
  return out;
}

/** The non-blank lines of a span, trimmed, as [start, end] offsets. */
function* linesOf(text: string, [start, end]: [number, number]): Generator<[number, number]> {
  for (const m of text.slice(start, end).matchAll(/[^\r\n]+/g)) {
    const lead = m[0].length - m[0].trimStart().length;
    const body = m[0].trim();
    if (body) yield [start + m.index + lead, start + m.index + lead + body.length];
  }
}

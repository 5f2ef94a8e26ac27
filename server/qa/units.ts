import type { DocumentRecord } from '../../ingest/types.ts';
import type { Retrieved } from '../retrieve.ts';
import { foldTypography } from '../text.ts';

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
}

/** Openings that refer back: a sentence starting so is quoted with the one before it. */
const DEPENDENT =
  /^["'“‘(]*(he|she|it|they|this|that|these|those|his|her|its|their|there|such|but|and|however|after that|then|also|meanwhile|still|yet|so|thus|therefore|moreover|instead|both)\b/i;

/**
 * The units of the passages read: each sentence and each pair of neighbours in the same paragraph.
 * A pair never crosses a line break, so a headline, dateline, caption or byline (a line of its own) is
 * quoted on its own, never glued to the sentence after it.
 */
export function unitsOf(retrieved: Retrieved[], docs: Map<string, DocumentRecord>, read: number): Unit[] {
  const out: Unit[] = [];
  retrieved.slice(0, read).forEach((hit, rank) => {
    const doc = docs.get(hit.passage.docId);
    if (!doc) return;
    const sentences = hit.passage.sentences;
    sentences.forEach(([start, end], i) => {
      const text = doc.text.slice(start, end);
      const dependent = DEPENDENT.test(foldTypography(text));
      out.push({ hit, rank, start, end, text, pair: false, dependent, sentence: i });
      const next = sentences[i + 1];
      if (next && !/[\r\n]/.test(doc.text.slice(end, next[0]))) {
        out.push({ hit, rank, start, end: next[1], text: doc.text.slice(start, next[1]), pair: true, dependent, sentence: i });
      }
    });
  });
  return out;
}

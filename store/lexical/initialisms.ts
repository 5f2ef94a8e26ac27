import type { DocumentRecord } from '../format.ts';
import { stemWord } from './words.ts';
import { documentContext } from './document-context.ts';

/** Runs of capitalised words (with single-letter initials allowed inside): "John F. Kennedy", "United Nations". */
const NAME_RUN = /\b(?:\p{Lu}[\p{L}'’-]*\.?\s+){1,3}\p{Lu}[\p{L}'’-]+/gu;

/**
 * Initialisms resolved from the corpus's own full names: "JFK" → John F Kennedy, "UN" → United Nations,
 * "FDR" → Franklin D Roosevelt. Maps the lower-cased initials to the stems of the full name's words.
 * Built from titles, file names and texts, so no list of abbreviations is needed.
 */
export function initialismsOf(docs: Iterable<DocumentRecord>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const add = (run: string) => {
    const parts = run.split(/\s+/).map((w) => w.replace(/[.'’]+$/, ''));
    if (parts.length < 2) return;
    const initials = parts.map((w) => w[0]?.toLowerCase() ?? '').join('');
    let set = out.get(initials);
    if (!set) {
      set = new Set();
      out.set(initials, set);
    }
    for (const w of parts) if (w.length > 1) set.add(stemWord(w.toLowerCase()));
  };
  for (const doc of docs) {
    // File-name words are lower-case: title-case them so "john f kennedy" is seen as a name.
    const context = documentContext(doc).replace(/\b\p{Ll}/gu, (c) => c.toUpperCase());
    for (const m of `${context}\n${doc.text}`.matchAll(NAME_RUN)) add(m[0]);
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

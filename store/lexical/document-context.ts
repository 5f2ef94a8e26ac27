import type { DocumentRecord } from '../format.ts';
import { words } from './words.ts';

/**
 * Words that describe a document without being in its text: its title, the words of its file name
 * (`1962_john_f_kennedy_d.txt` → 1962 john f kennedy d) and the years they hold. "What did Kennedy propose
 * in 1962?" is about that speech although the speech never names its speaker. Hash-like file names
 * (`004_ec9c24d3208588b7`) say nothing and are left out.
 */
export function documentContext(doc: Pick<DocumentRecord, 'docId' | 'title' | 'source'>): string {
  return [doc.title, ...fileNameWords(doc)].join(' ');
}

/** The words of a document's file name that say something about it (not a hash, not a counter). */
export function fileNameWords(doc: Pick<DocumentRecord, 'docId' | 'source'>): string[] {
  const base = (doc.source.split('/').pop() ?? doc.docId).replace(/\.[a-z0-9]+$/i, '');
  const parts = base
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !/^[0-9a-f]{8,}$/i.test(w) && !(/\d/.test(w) && /\p{L}/u.test(w)) && !/^\d{1,3}$/.test(w));
  // A name written as one word may have been split where its capitals were: `william_mc_kinley` is McKinley
  // (`de_witt`, `la_guardia`), so a two- or three-letter word is also read joined to the next.
  const joined = parts.flatMap((w, i) => {
    const next = parts[i + 1];
    return next && /^\p{L}{2,3}$/u.test(w) && /^\p{L}{3,}$/u.test(next) ? [w + next] : [];
  });
  return [...parts, ...joined];
}

/** The context as lower-cased words (for matching), memoised per document. */
const memo = new WeakMap<object, string[]>();
export function contextWords(doc: DocumentRecord): string[] {
  let ws = memo.get(doc);
  if (!ws) {
    ws = words(documentContext(doc));
    memo.set(doc, ws);
  }
  return ws;
}

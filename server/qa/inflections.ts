import { createRequire } from 'node:module';
import { stemWord } from '../../store/lexical/words.ts';
import { wordNet } from './wordnet.ts';

/**
 * Irregular inflections, from WordNet's exception lists (as wink-lexicon ships them): "began" is "begin",
 * "children" is "child". The stemmer leaves them apart, so "When did the incursion begin?" missed "which
 * began on August 6". Only forms that are not words of the same part of speech in their own right: "found"
 * (to found), "saw" (to saw) and "data" keep their own meaning.
 */
type Pos = 'verb' | 'noun';

/** Auxiliaries: stop words anyway, except "may", which "might" must not turn into the month. */
const AUXILIARIES = new Set(['be', 'do', 'have', 'may', 'can', 'will', 'shall']);

interface Table {
  /** Irregular form → base, per part of speech. */
  base: Map<Pos, Map<string, string>>;
  /** Base → its irregular forms. */
  forms: Map<Pos, Map<string, string[]>>;
}

let table: Table | null = null;

/** Reads the exception lists (≈ 4,000 forms); called early by `loadEngine`, else on first use. */
export function loadInflections(): void {
  if (table) return;
  const require = createRequire(import.meta.url);
  const files: Record<Pos, string> = {
    verb: 'wink-lexicon/src/wn-verb-exceptions.js',
    noun: 'wink-lexicon/src/wn-noun-exceptions.js',
  };
  const t: Table = { base: new Map(), forms: new Map() };
  for (const pos of ['verb', 'noun'] as const) {
    const exceptions = require(files[pos]) as Record<string, string>;
    const base = new Map<string, string>();
    const forms = new Map<string, string[]>();
    for (const [form, b] of Object.entries(exceptions)) {
      if (AUXILIARIES.has(b) || form.includes('_') || b.includes('_')) continue;
      base.set(form, b);
      forms.set(b, [...(forms.get(b) ?? []), form]);
    }
    t.base.set(pos, base);
    t.forms.set(pos, forms);
  }
  table = t;
}

const memo = new Map<string, string[]>();

/** Stems of the other forms of a word ("begin" → "began", "begun"; "children" → "child"), or none. */
export function inflectionsOf(word: string): string[] {
  let found = memo.get(word);
  if (found) return found;
  loadInflections();
  const t = table as Table;
  const wn = wordNet();
  const out = new Set<string>();
  for (const pos of ['verb', 'noun'] as const) {
    // Looked up by the word, not its stem: "leaves" is "leaf" and "leave", stems would join the two.
    // A form that is a word of the same part of speech in its own right keeps its own meaning.
    const own = (form: string) => !wn.lemmas(form, pos).includes(form);
    const given = t.base.get(pos)?.get(word);
    const base = given !== undefined && own(word) ? given : word;
    for (const w of [base, ...(t.forms.get(pos)?.get(base) ?? [])]) if (w === base || own(w)) out.add(stemWord(w));
  }
  out.delete(stemWord(word));
  found = [...out];
  if (memo.size > 50_000) memo.clear();
  memo.set(word, found);
  return found;
}

import { LayeredPostings } from '../../store/lexical/live-postings.ts';
import { stemWord } from '../../store/lexical/words.ts';

/**
 * Names that news sources transliterate differently. General knowledge about the domain (Eastern European
 * news), not about any particular corpus; anything not listed is still caught by the fuzzy match below.
 */
const TRANSLITERATIONS: string[][] = [
  ['kyiv', 'kiev'],
  ['kharkiv', 'kharkov'],
  ['odesa', 'odessa'],
  ['lviv', 'lvov'],
  ['mykolaiv', 'nikolaev', 'nikolayev'],
  ['zaporizhzhia', 'zaporozhye', 'zaporizhia'],
  ['luhansk', 'lugansk'],
  ['chernihiv', 'chernigov'],
  ['lukashenko', 'lukashenka'],
  ['zelensky', 'zelenskyy', 'zelenskiy'],
  ['oleksandr', 'olexandr', 'alexander', 'aleksandr', 'alyaksandr'],
  ['volodymyr', 'vladimir'],
  ['belarus', 'byelorussia'],
  ['navalny', 'navalnyy'],
  ['shoigu', 'shoygu'],
  ['peskov', 'peskow'],
];

const VARIANTS = new Map<string, string[]>();
for (const group of TRANSLITERATIONS) {
  const stems = group.map(stemWord);
  for (const s of stems) VARIANTS.set(s, stems);
}

/** Three reusable rows: a question's lookups run hundreds of distances, and allocating rows dominated them. */
let rows = [new Uint16Array(64), new Uint16Array(64), new Uint16Array(64)];

/** Optimal string alignment distance, bounded: returns max+1 as soon as it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (b.length + 1 > (rows[0] as Uint16Array).length) {
    rows = rows.map(() => new Uint16Array(b.length + 1));
  }
  let [prev2, prev, cur] = rows as [Uint16Array, Uint16Array, Uint16Array];
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return Math.min(prev[b.length] as number, max + 1);
}

/** Terms of 6 letters or more by first letter: the only ones a fuzzy lookup compares against. */
function bucketsOf(terms: Iterable<string>): Map<string, string[]> {
  const byInitial = new Map<string, string[]>();
  for (const t of terms) {
    if (t.length < 6) continue;
    const key = t[0] as string;
    let list = byInitial.get(key);
    if (!list) {
      list = [];
      byInitial.set(key, list);
    }
    list.push(t);
  }
  return byInitial;
}

/**
 * The buckets of a loaded index's terms, built once and shared by every index layered over it (an add or
 * delete through the documents API): bucketing its tens of thousands of terms again took milliseconds of
 * the serving thread per write.
 */
const sharedBuckets = new WeakMap<object, Map<string, string[]>>();

/** Vocabulary bucketed by first letter, so fuzzy lookups compare against a small slice of it. */
export class Vocabulary {
  /** The loaded index's buckets, then (for a layer) its added terms': they may hold terms since gone. */
  private readonly buckets: Array<Map<string, string[]>>;
  /** Lookups repeat across questions; each costs hundreds of edit distances. */
  private readonly memo = new Map<string, string[]>();

  /** `terms`: a set of them, or anything keyed by them (BM25's postings, without copying its keys). */
  constructor(private readonly terms: { keys(): Iterable<string>; has(term: string): boolean }) {
    if (!(terms instanceof LayeredPostings)) {
      this.buckets = [bucketsOf(terms.keys())];
      return;
    }
    let buckets = sharedBuckets.get(terms.base);
    if (!buckets) {
      buckets = bucketsOf(terms.base.keys());
      sharedBuckets.set(terms.base, buckets);
    }
    this.buckets = [buckets, bucketsOf(terms.addedTerms())];
  }

  has(term: string): boolean {
    return this.terms.has(term);
  }

  /**
   * Corpus terms that spell the same word: known transliterations, and for longer words (≥ 6 letters,
   * where a 1–2 letter difference is a spelling, not another word) those within a small edit distance —
   * only for a word the corpus lacks, or a name (`name`: "Zelenskyy" beside "Zelenski"): a near-spelling
   * of a word the corpus uses is another word (project/protect, national/notion, leader/lender).
   * `writtenLength`: the length of the word as the user wrote it, which decides how far it may be misspelt.
   */
  variants(term: string, name = false, writtenLength = term.length): string[] {
    const long = writtenLength >= 9;
    const key = `${name ? '\u0000' : ''}${long ? '\u0001' : ''}${term}`;
    let found = this.memo.get(key);
    if (!found) {
      found = this.lookup(term, name || !this.terms.has(term), long);
      if (this.memo.size > 50_000) this.memo.clear();
      this.memo.set(key, found);
    }
    return found;
  }

  /** `long`: the word as written has 9 letters or more (its stem may have fewer: "eisenhauer" → "eisenhau"). */
  private lookup(term: string, fuzzy: boolean, long: boolean): string[] {
    const out = new Set<string>();
    for (const v of VARIANTS.get(term) ?? []) if (v !== term && this.terms.has(v)) out.add(v);
    if (fuzzy && term.length >= 6 && !/^\d/.test(term)) {
      const max = long || term.length >= 9 ? 2 : 1;
      for (const buckets of this.buckets) {
        for (const cand of buckets.get(term[0] as string) ?? []) {
          if (cand !== term && editDistance(term, cand, max) <= max && this.terms.has(cand)) out.add(cand);
        }
      }
    }
    return [...out];
  }
}

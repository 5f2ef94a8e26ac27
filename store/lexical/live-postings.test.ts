import { describe, expect, it } from 'vitest';
import { type Bm25Index, buildBm25, documentFrequency, searchBm25 } from './bm25.ts';
import { buildLexical } from './lexical-index.ts';
import { compactLexical, LayeredPostings } from './live-postings.ts';
import type { ChangeSite } from '../index-changes.ts';

/** A seeded generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const WORDS = ['harbour', 'council', 'bridge', 'grain', 'ferry', 'tariff', 'treaty', 'canal', 'senate', 'budget'];

/** Everything that scores a passage, keyed by term rather than in term order (a layer appends new terms). */
function scoring(index: Bm25Index) {
  return {
    count: index.count,
    avgLength: index.avgLength,
    lengths: [...index.lengths],
    norms: [...index.norms],
    postings: Object.fromEntries([...index.postings.entries()].map(([t, list]) => [t, [...list]])),
  };
}

const QUERIES = [
  new Map([['harbour', 1]]),
  new Map([
    ['grain', 1],
    ['treati', 0.5],
    ['rare0', 1],
  ]),
  new Map(WORDS.map((w) => [w.replace(/y$/, 'i'), 1])),
];

describe('a BM25 index changed in place by layers', () => {
  it('scores, counts and lists exactly what a rebuild over the changed passages does, at every step', () => {
    const next = random(7);
    const pick = <T,>(a: T[]) => a[Math.floor(next() * a.length)] as T;
    let serial = 0;
    // Some passages carry a word of their own: deleting them must take it out of the vocabulary.
    const text = () => {
      const own = next() < 0.3 ? ` rare${serial++}` : '';
      return `${Array.from({ length: 3 + Math.floor(next() * 8) }, () => pick(WORDS)).join(' ')}${own}`;
    };
    let texts = Array.from({ length: 40 }, text);
    let index: Bm25Index = buildLexical(texts);
    const snapshots: Array<{ index: Bm25Index; texts: string[] }> = [];
    for (let step = 0; step < 40; step++) {
      const at = Math.floor(next() * (texts.length + 1));
      const remove = step % 3 === 1 ? Math.min(1 + Math.floor(next() * 4), texts.length - at) : 0;
      const added = remove ? [] : Array.from({ length: 1 + Math.floor(next() * 3) }, text);
      const site: ChangeSite = {
        document: 0,
        passage: at,
        removed: remove,
        labels: null,
        texts: added,
        removedTexts: texts.slice(at, at + remove),
      };
      texts = texts.toSpliced(at, remove, ...added);
      index = LayeredPostings.over(index, site);
      const rebuilt = buildBm25(texts);
      expect(index.postings).toBeInstanceOf(LayeredPostings);
      expect(scoring(index)).toEqual(scoring(rebuilt));
      for (const t of rebuilt.postings.keys()) expect(documentFrequency(index, t)).toBe(documentFrequency(rebuilt, t));
      for (const q of QUERIES) expect(searchBm25(index, q, 8)).toEqual(searchBm25(rebuilt, q, 8));
      expect(scoring(compactLexical(index))).toEqual(scoring(rebuilt));
      snapshots.push({ index, texts });
    }
    // A word whose every passage was deleted is gone: no postings, no document frequency.
    const gone = [...Array(serial).keys()].map((i) => `rare${i}`).find((w) => !texts.some((t) => t.endsWith(` ${w}`)));
    expect(gone).toBeDefined();
    expect(index.postings.has(gone as string)).toBe(false);
    expect(documentFrequency(index, gone as string)).toBe(0);
    // Earlier indexes still answer as they did: a layer never changes what the one before it holds.
    for (const { index: earlier, texts: then } of snapshots.filter((_, i) => i % 7 === 0)) {
      const rebuilt = buildBm25(then);
      for (const q of QUERIES) expect(searchBm25(earlier, q, 8)).toEqual(searchBm25(rebuilt, q, 8));
      expect([...earlier.postings.keys()].sort()).toEqual([...rebuilt.postings.keys()].sort());
    }
  });

  it('a layer over a layer keeps the first index’s postings, never copying them', () => {
    const base = buildLexical(['harbour council', 'grain ferry', 'canal budget']);
    const site = (at: number, texts: string[], removedTexts: string[] = []): ChangeSite => ({
      document: 0,
      passage: at,
      removed: removedTexts.length,
      labels: null,
      texts,
      removedTexts,
    });
    const once = LayeredPostings.over(base, site(1, ['senate treaty']));
    const twice = LayeredPostings.over(once, site(0, [], ['harbour council']));
    const [list] = twice.postings.lists('grain') as Uint32Array[];
    const [own] = base.postings.lists('grain') as Uint32Array[];
    // The loaded index's own list for "grain", read in place: the passage is now at position 1.
    expect(list?.buffer).toBe(own?.buffer);
    expect([list?.byteOffset, [...(list ?? [])]]).toEqual([own?.byteOffset, [1, 1]]);
    expect(searchBm25(twice, new Map([['grain', 1]]), 3).map(([p]) => p)).toEqual([1]);
    expect((twice.postings as LayeredPostings).changed).toBe(2);
  });
});

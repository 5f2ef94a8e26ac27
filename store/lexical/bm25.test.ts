import { describe, expect, it } from 'vitest';
import { buildBm25, searchBm25, searchExhaustive } from './bm25.ts';
import { buildLexical } from './lexical-index.ts';

/** A deterministic pseudo-random stream (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words drawn Zipf-like from a 400-word vocabulary: a few in most passages, most in a few, as in text. */
function corpus(rand: () => number, passages: number): string[] {
  const word = () => `w${Math.floor(400 ** rand() - 1)}x`;
  return Array.from({ length: passages }, () => Array.from({ length: 3 + Math.floor(rand() * 12) }, word).join(' '));
}

describe('BM25 search', () => {
  it('returns exactly the exhaustive top k, scores to the bit, whatever the query and k', () => {
    const rand = random(7);
    // Enough passages for the search's blocks of passages (32,768) to be several.
    const texts = corpus(rand, 70_000);
    // Duplicate passages tie: the earlier one must come first in both searches.
    texts.push(...texts.slice(0, 40));
    for (const index of [buildBm25(texts), buildLexical(texts)]) {
      for (let q = 0; q < 150; q++) {
        const query = new Map<string, number>();
        const size = 1 + Math.floor(rand() * 14);
        for (let i = 0; i < size; i++) query.set(`w${Math.floor(400 ** rand() - 1)}x`, rand() < 0.5 ? 1 : 0.1 + rand() * 0.8);
        if (q % 10 === 0) query.set('absent', 1);
        for (const k of [1, 3, 10, 50, 500]) expect(searchBm25(index, query, k)).toEqual(searchExhaustive(index, query, k));
      }
    }
  });

  it('finds nothing for terms no passage has, or for no terms', () => {
    const index = buildLexical(['grain exports rose', 'the harbour reopened']);
    expect(searchBm25(index, new Map([['coffee', 1]]), 5)).toEqual([]);
    expect(searchBm25(index, new Map(), 5)).toEqual([]);
  });
});

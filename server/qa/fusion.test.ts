import { describe, expect, it } from 'vitest';
import { buildBm25 } from '../../store/lexical/bm25.ts';
import { bm25Weights, denseWeightFor, fuse, passagesToRead, type Retrieved } from './retrieve.ts';

const list = (ids: number[], top: number, step: number): Array<[number, number]> =>
  ids.map((id, i) => [id, top - i * step]);

describe('adaptive fusion', () => {
  it('keeps the base weight for an unsure lexical list and a typical dense gap', () => {
    const lexical = list([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 8, 0.2);
    const dense = list([11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.8, 0.12 / 9);
    expect(denseWeightFor(lexical, dense, 0.25)).toBeCloseTo(0.25, 6);
  });

  it('gives the dense list less say the surer BM25 is, more the surer the dense list is', () => {
    const dense = list([11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.8, 0.12 / 9);
    const sure = denseWeightFor(list([1, 2, 3], 20, 1), dense, 0.25);
    expect(sure).toBeCloseTo(0.25 / 16, 6);
    const flatDense = list([11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.8, 0.01 / 9);
    expect(denseWeightFor(list([1], 8, 0), flatDense, 0.25)).toBeLessThan(0.1);
    const sharpDense = list([11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.8, 0.6 / 9);
    expect(denseWeightFor(list([1], 8, 0), sharpDense, 0.25)).toBeCloseTo(0.5, 6);
  });

  it('does not let dense passages push out a confident BM25 head', () => {
    // Ten near-copies scored far above the rest by BM25; the dense list prefers others.
    const lexical: Array<[number, number]> = [
      ...list([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 45, 0.1),
      ...list([21, 22, 23, 24, 25], 20, 0.5),
    ];
    const dense = list([21, 22, 23, 24, 25, 1, 2], 0.9, 0.02);
    expect(
      fuse(lexical, dense, 0.25)
        .slice(0, 10)
        .map(([id]) => id)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("reads BM25's first passages even when the fusion ranks them below the passages read", () => {
    const hit = (index: number, bm25Rank: number) =>
      ({ passage: { id: `p${index}` }, index, score: 1, similarity: 0, bm25Rank, denseRank: -1 }) as unknown as Retrieved;
    const fused = [hit(1, 0), hit(2, -1), hit(3, 5), hit(4, 1), hit(5, 9), hit(6, 2)];
    expect(passagesToRead(fused, 2, 3).map((r) => r.index)).toEqual([1, 2, 4, 6]);
    expect(passagesToRead(fused, 6, 3).map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('scores stay in (0, 1], the best possible being 1', () => {
    const lexical = list([1, 2, 3], 8, 1);
    const dense = list([1, 3, 2], 0.9, 0.05);
    const fused = fuse(lexical, dense, 0.25);
    expect(fused[0]?.[0]).toBe(1);
    expect(fused[0]?.[1]).toBeCloseTo(1, 10);
    for (const [, s] of fused) expect(s).toBeGreaterThan(0);
    expect(fuse([], [], 0.25)).toEqual([]);
  });
});

describe('the BM25 query', () => {
  const term = { stem: 'harbour', word: 'harbour', weight: 1, own: true, matches: ['harbour'], related: ['port', 'dock'], idf: 5 };
  /** `n` passages, each with "port" and every fiftieth with "dock"; "harbour" in the first. */
  const corpus = (n: number) =>
    buildBm25(Array.from({ length: n }, (_, i) => `${i === 0 ? 'harbour ' : ''}port${i % 50 === 0 ? ' dock' : ''} line${i}`));

  it('leaves out a related word most passages of a large corpus have, keeping the rarer ones and the own word', () => {
    const weights = bm25Weights([term], corpus(20_000));
    expect([...weights]).toEqual([
      ['harbour', 1],
      ['dock', 0.5],
    ]);
  });

  it('keeps every related word in a small corpus, however common', () => {
    expect([...bm25Weights([term], corpus(500)).keys()]).toEqual(['harbour', 'port', 'dock']);
  });
});

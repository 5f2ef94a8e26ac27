import { describe, expect, it } from 'vitest';
import { makeDocument } from '../ingest/documents.ts';
import { toPassages } from '../ingest/passages.ts';
import { buildCorpus, loadSpeeches, proseSentences } from './corpus.ts';
import { exactTopK, recallVsExact } from './hnsw-recall.ts';
import { degrade, recallAtK } from './known-item.ts';
import { mulberry32, shuffle } from './random.ts';
import { medianOfRuns, percentile, summarize } from './stats.ts';
import { WordNet } from './synonyms.ts';

describe('stats', () => {
  it('takes nearest-rank percentiles, as the eval report does', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize([1, 2, 3])).toMatchObject({ p50: 2, mean: 2, n: 3 });
  });

  it('takes the median of repeated runs field by field', () => {
    const runs = [
      { a: 1, b: 30 },
      { a: 3, b: 10 },
      { a: 2, b: 20 },
    ];
    expect(medianOfRuns(runs)).toEqual({ a: 2, b: 20 });
  });
});

describe('seeded randomness', () => {
  it('repeats its sequence for a seed and permutes without loss', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const seq = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seq);
    expect(seq.every((x) => x >= 0 && x < 1)).toBe(true);
    const items = Array.from({ length: 20 }, (_, i) => i);
    expect(shuffle(mulberry32(1), [...items]).sort((x, y) => x - y)).toEqual(items);
  });
});

describe('corpus', () => {
  const speeches = loadSpeeches().slice(0, 12);

  it('splits prose into sentences, not at abbreviations', () => {
    expect(proseSentences('Mr. Speaker, I thank you. The U.S. Navy sailed! Did it? Yes.')).toEqual([
      'Mr. Speaker, I thank you.',
      'The U.S. Navy sailed!',
      'Did it?',
      'Yes.',
    ]);
  });

  it('generates the same corpus for the same seed, with distinct passages at the target count', () => {
    // 12 speeches give ~700 passages, so 900 needs recombined articles too.
    const first = buildCorpus(speeches, 900);
    expect(buildCorpus(speeches, 900)).toEqual(first);
    expect(first.files.some((f) => f.name.includes('-mix-'))).toBe(true);
    const passages = first.files.flatMap((f) =>
      toPassages(makeDocument({ docId: f.name, source: f.name, text: f.text })),
    );
    expect(passages.length).toBe(first.passages);
    expect(Math.abs(first.passages - 900)).toBeLessThanOrEqual(1);
    expect(new Set(passages.map((p) => p.hash)).size).toBe(passages.length);
    expect(buildCorpus(speeches, 900, 2).files).not.toEqual(first.files);
  });
});

describe('known-item queries', () => {
  const wordnet = new WordNet();

  it('drops and swaps words deterministically', () => {
    const sentence =
      'The government of the country must increase the revenue of the treasury to pay the national debt quickly.';
    const a = degrade(sentence, mulberry32(3), wordnet);
    expect(degrade(sentence, mulberry32(3), wordnet)).toEqual(a);
    expect(a.query.split(' ').length).toBeLessThan(sentence.split(' ').length);
    expect(wordnet.synonyms('treaty')).toContain('pact');
  });

  it('caps recall at k when a sentence is in more passages than k', () => {
    expect(recallAtK([1, 2, 3], [3], 10)).toBe(1);
    expect(recallAtK([1, 2, 3], [3, 4], 10)).toBe(0.5);
    expect(recallAtK([1, 2], [1, 2, 3], 2)).toBe(1);
  });
});

describe('exact search', () => {
  it('finds the same neighbours as sorting every similarity, and counts ties as found', () => {
    const rng = mulberry32(5);
    const dims = 8;
    const rows = 300;
    const flat = new Float32Array(rows * dims).map(() => rng() - 0.5);
    const query = new Float32Array(dims).map(() => rng() - 0.5);
    const sims = Array.from({ length: rows }, (_, r) =>
      query.reduce((s, q, d) => s + q * (flat[r * dims + d] as number), 0),
    );
    const sorted = sims.map((s, id) => ({ s, id })).sort((a, b) => b.s - a.s);
    const exact = exactTopK(flat, dims, query, 10);
    expect(exact.ids).toEqual(sorted.slice(0, 10).map((x) => x.id));
    expect(recallVsExact(exact.ids, exact, flat, dims, query)).toBe(1);
    expect(
      recallVsExact(
        sorted.slice(5, 15).map((x) => x.id),
        exact,
        flat,
        dims,
        query,
      ),
    ).toBe(0.5);
    // A duplicate of the 10th neighbour is as right as the 10th itself.
    flat.copyWithin(0, (sorted[9]?.id as number) * dims, ((sorted[9]?.id as number) + 1) * dims);
    const withTie = exactTopK(flat, dims, query, 10);
    const swapped = [...withTie.ids.slice(0, 9), withTie.ids.includes(0) ? (sorted[9]?.id as number) : 0];
    expect(recallVsExact(swapped, withTie, flat, dims, query)).toBe(1);
  });
});

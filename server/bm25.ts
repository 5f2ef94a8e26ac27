import { terms } from './text.ts';

/**
 * BM25 over passages with an inverted index. Hand-written rather than `wink-bm25-text-search` because
 * retrieval and abstention need the per-term document frequencies (IDF of each question term, which terms
 * exist in the corpus at all), and because scoring must touch only the postings of the query's terms so
 * a query stays fast at 100k passages; the library can't add documents after `consolidate()` either.
 */
export interface Bm25Index {
  /** term → [passage index, term frequency] pairs, flattened. */
  postings: Map<string, Uint32Array>;
  lengths: Uint32Array;
  avgLength: number;
  count: number;
}

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export function buildBm25(texts: string[]): Bm25Index {
  const lists = new Map<string, number[]>();
  const lengths = new Uint32Array(texts.length);
  texts.forEach((text, i) => {
    const tf = new Map<string, number>();
    const ts = terms(text);
    lengths[i] = ts.length;
    for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      let list = lists.get(t);
      if (!list) {
        list = [];
        lists.set(t, list);
      }
      list.push(i, n);
    }
  });
  const postings = new Map<string, Uint32Array>();
  for (const [t, list] of lists) postings.set(t, Uint32Array.from(list));
  const total = lengths.reduce((a, b) => a + b, 0);
  return { postings, lengths, avgLength: texts.length ? total / texts.length : 0, count: texts.length };
}

export function documentFrequency(index: Bm25Index, term: string): number {
  return (index.postings.get(term)?.length ?? 0) / 2;
}

/** Robertson–Spärck Jones IDF, floored at a small positive value so very common terms still count a little. */
export function idf(index: Bm25Index, term: string): number {
  const df = documentFrequency(index, term);
  return Math.max(0.01, Math.log(1 + (index.count - df + 0.5) / (df + 0.5)));
}

/**
 * Scores passages for weighted query terms (weight 1 for the question's own terms, less for expansions).
 * Returns the top `k` as [passage index, score], best first.
 */
export function searchBm25(index: Bm25Index, query: Map<string, number>, k: number): Array<[number, number]> {
  const scores = new Map<number, number>();
  for (const [term, weight] of query) {
    const list = index.postings.get(term);
    if (!list) continue;
    const w = weight * idf(index, term);
    for (let j = 0; j < list.length; j += 2) {
      const doc = list[j] as number;
      const tf = list[j + 1] as number;
      const norm = BM25_K1 * (1 - BM25_B + (BM25_B * (index.lengths[doc] as number)) / index.avgLength);
      scores.set(doc, (scores.get(doc) ?? 0) + (w * tf * (BM25_K1 + 1)) / (tf + norm));
    }
  }
  return [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
}

import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { FootnoteEmbeddings } from '../ingest/embedder.ts';
import type { LoadedIndex } from '../store/generations.ts';
import { BM25_B, BM25_K1 } from '../store/lexical/bm25.ts';
import { bm25Weights, type Engine, type ExpandedTerm } from '../server/qa/index.ts';
import { lexicalTexts } from '../store/lexical/lexical-index.ts';
import { terms as termsOf } from '../store/lexical/words.ts';
import { exactTopK, readVectors, recallVsExact } from './hnsw-recall.ts';
import { mean, percentile } from './stats.ts';

/** Depth both BM25 implementations are asked for: what hybrid retrieval reads (retrieve.ts CANDIDATES). */
const BM25_DEPTH = 50;

export interface DenseBaseline {
  queries: number;
  /** LangChain MemoryVectorStore (brute force over number[] rows, sorts every row per query). */
  memoryStoreBuildMs: number;
  memoryStoreP50Ms: number;
  memoryStoreRecall: number;
  /** Our exact scan over vectors.f32 and the index's HNSW search, same queries. */
  exactP50Ms: number;
  hnswP50Ms: number;
  /** memoryStoreP50Ms / hnswP50Ms. */
  memoryStoreVsHnsw: number;
}

/**
 * LangChain's in-memory vector store, filled with the index's own vectors (through the product's LangChain
 * embeddings adapter, so it is the store a LangChain app would use), against HNSW and exact search.
 */
export async function denseBaseline(engine: Engine, queries: Float32Array[], k = 10): Promise<DenseBaseline> {
  const index: LoadedIndex = engine.index;
  const flat = await readVectors(index);
  const dims = index.manifest.model.dimensions;
  let t0 = performance.now();
  const store = new MemoryVectorStore(new FootnoteEmbeddings(engine.embedder));
  await store.addVectors(
    index.vectors.map((v) => Array.from(v)),
    index.passages.map((p, i) => ({ pageContent: p.text, metadata: { i }, id: p.id })),
  );
  const memoryStoreBuildMs = performance.now() - t0;
  const mvs: number[] = [];
  const exact: number[] = [];
  const hnsw: number[] = [];
  const recalls: number[] = [];
  const n = Math.min(k, index.passages.length);
  for (const q of queries) {
    const asArray = Array.from(q);
    t0 = performance.now();
    const hits = await store.similaritySearchVectorWithScore(asArray, k);
    mvs.push(performance.now() - t0);
    t0 = performance.now();
    const truth = exactTopK(flat, dims, q, n);
    exact.push(performance.now() - t0);
    t0 = performance.now();
    index.hnsw.searchKnn(Array.from(q), n);
    hnsw.push(performance.now() - t0);
    recalls.push(
      recallVsExact(
        hits.map(([doc]) => doc.metadata.i as number),
        truth,
        flat,
        dims,
        q,
      ),
    );
  }
  const memoryStoreP50Ms = percentile(mvs, 50);
  const hnswP50Ms = percentile(hnsw, 50);
  return {
    queries: queries.length,
    memoryStoreBuildMs,
    memoryStoreP50Ms,
    memoryStoreRecall: mean(recalls),
    exactP50Ms: percentile(exact, 50),
    hnswP50Ms,
    memoryStoreVsHnsw: memoryStoreP50Ms / hnswP50Ms,
  };
}

/**
 * BM25 without an inverted index: each passage's term counts are kept per passage and every passage is
 * scored for every query, as a straightforward implementation (or a library scoring a document list) does.
 */
export class NaiveBm25 {
  private readonly tf: Map<string, number>[];
  private readonly lengths: number[];
  private readonly df = new Map<string, number>();
  private readonly avgLength: number;

  constructor(texts: string[]) {
    this.lengths = [];
    this.tf = texts.map((text) => {
      const counts = new Map<string, number>();
      const ts = termsOf(text);
      this.lengths.push(ts.length);
      for (const t of ts) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of counts.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      return counts;
    });
    this.avgLength = texts.length ? this.lengths.reduce((a, b) => a + b, 0) / texts.length : 0;
  }

  /** Same formula, IDF and tie order as store/lexical/bm25.ts. */
  search(query: Map<string, number>, k: number): Array<[number, number]> {
    const n = this.tf.length;
    const idf = new Map(
      [...query.keys()].map((t) => {
        const df = this.df.get(t) ?? 0;
        return [t, Math.max(0.01, Math.log(1 + (n - df + 0.5) / (df + 0.5)))];
      }),
    );
    const scored: Array<[number, number]> = [];
    for (let doc = 0; doc < n; doc++) {
      const counts = this.tf[doc] as Map<string, number>;
      let score = 0;
      for (const [term, weight] of query) {
        const tf = counts.get(term);
        if (!tf) continue;
        const norm = BM25_K1 * (1 - BM25_B + (BM25_B * (this.lengths[doc] as number)) / this.avgLength);
        score += (weight * (idf.get(term) as number) * tf * (BM25_K1 + 1)) / (tf + norm);
      }
      if (score > 0) scored.push([doc, score]);
    }
    return scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
  }
}

export interface Bm25Baseline {
  queries: number;
  indexedP50Ms: number;
  indexedP95Ms: number;
  naiveP50Ms: number;
  naiveP95Ms: number;
  /** naive p50 / indexed p50. */
  speedup: number;
  /** Share of queries where both return the same top 10: the inverted index changes speed, not results. */
  sameTop10: number;
}

export function bm25Baseline(engine: Engine, queryTerms: ExpandedTerm[][]): Bm25Baseline {
  // The same texts the index holds (each passage with its document's title and file-name words).
  const naive = new NaiveBm25([...lexicalTexts(engine.index.passages, engine.index.documents)]);
  const indexed: number[] = [];
  const scan: number[] = [];
  let same = 0;
  for (const terms of queryTerms) {
    const weights = bm25Weights(terms, engine.retriever.bm25);
    let t0 = performance.now();
    const a = engine.retriever.searchBm25(terms, BM25_DEPTH);
    indexed.push(performance.now() - t0);
    t0 = performance.now();
    const b = naive.search(weights, BM25_DEPTH);
    scan.push(performance.now() - t0);
    const top = (r: Array<[number, number]>) => r.slice(0, 10).map(([i]) => i);
    if (JSON.stringify(top(a)) === JSON.stringify(top(b))) same++;
  }
  const indexedP50Ms = percentile(indexed, 50);
  const naiveP50Ms = percentile(scan, 50);
  return {
    queries: queryTerms.length,
    indexedP50Ms,
    indexedP95Ms: percentile(indexed, 95),
    naiveP50Ms,
    naiveP95Ms: percentile(scan, 95),
    speedup: naiveP50Ms / indexedP50Ms,
    sameTop10: same / queryTerms.length,
  };
}

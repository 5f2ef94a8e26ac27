import type { Embedder } from '../ingest/embedder.ts';
import type { HnswIndex } from '../ingest/index-store.ts';
import type { DocumentRecord, Passage } from '../ingest/types.ts';
import { type Bm25Index, buildBm25, idf, searchBm25 } from './bm25.ts';
import { documentContext } from './qa/document-context.ts';
import { initialismsOf } from './qa/initialisms.ts';
import { wordNet } from './qa/wordnet.ts';
import type { QueryTerm } from './query.ts';
import { stemWord } from './text.ts';
import { Vocabulary } from './variants.ts';

export type RetrievalMode = 'bm25' | 'dense' | 'hybrid';

export interface Retrieved {
  passage: Passage;
  /** Position of the passage in the index. */
  index: number;
  /** Fused score for hybrid (RRF, scaled so the best possible is 1), BM25 score or cosine similarity otherwise. */
  score: number;
  /** Cosine similarity of passage and query (always computed: answer composition and abstention use it). */
  similarity: number;
  /** 0-based rank in the BM25 and the dense list (-1 when absent): features of the answer scorer. */
  bm25Rank: number;
  denseRank: number;
}

/** Reciprocal rank fusion constant (Cormack et al. 2009): damps the head so both lists contribute. */
const RRF_K = 60;
/** How deep each list is read before fusion. */
const CANDIDATES = 50;
/**
 * Weight of the dense list in the fusion (BM25 has 1). The offline word-vector model finds the gold
 * passage first far less often than BM25, and less so as the corpus grows (bench: dense recall@10 0.62
 * at 100k against BM25's 0.97), so it only breaks ties and lifts passages BM25 ranks close: a fused list
 * that is never worse than BM25 alone (measured in evals/README.md and the bench).
 */
const DENSE_WEIGHT = 0.25;
/** WordNet synonyms and derivations stand in for a word in BM25, at this share of its weight. */
const RELATED_WEIGHT = 0.5;

/** A query term with the corpus spellings that stand for it. */
export interface ExpandedTerm extends QueryTerm {
  /** Corpus terms that are the word itself: its stem, other spellings, an initialism's full name. */
  matches: string[];
  /** Corpus terms that are another word for it (WordNet synonyms, derivations, pertainyms). */
  related: string[];
  idf: number;
}

export class Retriever {
  readonly bm25: Bm25Index;
  readonly vocabulary: Vocabulary;
  private readonly initialisms: Map<string, string[]>;

  constructor(
    readonly passages: Passage[],
    private readonly vectors: Float32Array[],
    private readonly hnsw: HnswIndex,
    private readonly embedder: Embedder,
    documents: Map<string, DocumentRecord> = new Map(),
  ) {
    // A passage is indexed with its document's title and file-name words, so "Kennedy 1962" finds the
    // speech whose text never names its speaker.
    const context = new Map([...documents].map(([id, d]) => [id, documentContext(d)]));
    this.bm25 = buildBm25(passages.map((p) => `${context.get(p.docId) ?? ''}\n${p.text}`));
    this.vocabulary = new Vocabulary(new Set(this.bm25.postings.keys()));
    this.initialisms = initialismsOf(documents.values());
  }

  /** Maps each query term to the spellings the corpus uses for it (itself, transliterations, near-misses). */
  expand(terms: QueryTerm[]): ExpandedTerm[] {
    const wn = wordNet();
    return terms.map((t) => {
      const matches = [...(this.vocabulary.has(t.stem) ? [t.stem] : []), ...this.vocabulary.variants(t.stem)];
      if (t.initialism) {
        for (const s of this.initialisms.get(t.word) ?? []) if (!matches.includes(s)) matches.push(s);
      }
      const related = [...new Set([...wn.related(t.word)].map((w) => stemWord(w)))].filter(
        (s) => s !== t.stem && !matches.includes(s) && this.vocabulary.has(s),
      );
      const best = matches.length
        ? Math.max(...matches.map((m) => idf(this.bm25, m)))
        : idf(this.bm25, t.stem);
      return { ...t, matches, related, idf: best };
    });
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return this.embedder.embedQuery(text);
  }

  similarity(query: Float32Array, index: number): number {
    return dot(query, this.vectors[index] as Float32Array);
  }

  searchBm25(terms: ExpandedTerm[], k: number): Array<[number, number]> {
    const weights = new Map<string, number>();
    const put = (m: string, w: number) => weights.set(m, Math.max(weights.get(m) ?? 0, w));
    for (const t of terms) {
      for (const m of t.matches) put(m, t.weight * (m === t.stem ? 1 : 0.9));
      for (const r of t.related) put(r, t.weight * RELATED_WEIGHT);
    }
    return searchBm25(this.bm25, weights, k);
  }

  searchDense(query: Float32Array, k: number): Array<[number, number]> {
    const n = Math.min(k, this.passages.length);
    if (n === 0) return [];
    const { neighbors, distances } = this.hnsw.searchKnn(Array.from(query), n);
    return neighbors.map((id, i) => [id, 1 - (distances[i] as number)] as [number, number]);
  }

  async search(opts: {
    terms: ExpandedTerm[];
    queryVector: Float32Array;
    mode: RetrievalMode;
    k: number;
  }): Promise<Retrieved[]> {
    const { mode, k, queryVector } = opts;
    const bm25 = mode === 'dense' ? [] : this.searchBm25(opts.terms, mode === 'bm25' ? k : CANDIDATES);
    const dense = mode === 'bm25' ? [] : this.searchDense(queryVector, mode === 'dense' ? k : CANDIDATES);
    const bm25Rank = new Map(bm25.map(([id], r) => [id, r]));
    const denseRank = new Map(dense.map(([id], r) => [id, r]));
    let ranked: Array<[number, number]>;
    if (mode === 'hybrid') {
      ranked = fuse(bm25, dense, DENSE_WEIGHT).slice(0, k);
    } else {
      ranked = mode === 'bm25' ? bm25 : dense;
    }
    return ranked.map(([index, score]) => ({
      passage: this.passages[index] as Passage,
      index,
      score,
      similarity: this.similarity(queryVector, index),
      bm25Rank: bm25Rank.get(index) ?? -1,
      denseRank: denseRank.get(index) ?? -1,
    }));
  }
}

/** Weighted reciprocal rank fusion of a lexical and a dense list, scaled so the best possible score is 1. */
export function fuse(
  lexical: Array<[number, number]>,
  dense: Array<[number, number]>,
  denseWeight: number,
): Array<[number, number]> {
  const fused = new Map<number, number>();
  for (const [list, weight] of [
    [lexical, 1],
    [dense, denseWeight],
  ] as const) {
    list.forEach(([id], rank) => {
      fused.set(id, (fused.get(id) ?? 0) + weight / (RRF_K + rank + 1));
    });
  }
  const best = (1 + denseWeight) / (RRF_K + 1);
  const ranked = [...fused].map(([id, s]) => [id, s / best] as [number, number]);
  ranked.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return ranked;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

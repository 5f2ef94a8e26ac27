import type { Embedder } from '../../ingest/embedder.ts';
import type { HnswIndex } from '../../store/generations.ts';
import type { DocumentRecord, Passage } from '../../store/format.ts';
import { type Bm25Index, buildBm25, documentFrequency, idf, searchBm25 } from '../../store/lexical/bm25.ts';
import { lexicalTexts, persistedInitialisms, persistedLexical } from '../../store/lexical/lexical-index.ts';
import { initialismsOf } from '../../store/lexical/initialisms.ts';
import { inflectionsOf } from './inflections.ts';
import { wordNet } from './wordnet.ts';
import type { QueryTerm } from './question.ts';
import { stemWord, terms as indexTerms } from '../../store/lexical/words.ts';
import { editDistance, Vocabulary } from './variants.ts';
import { fileNameWords } from '../../store/lexical/document-context.ts';

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
  /** HNSW label → passage position, when they differ (an incrementally changed graph); -1: deleted. */
  private readonly positionOf: Int32Array | null;
  /** False while the graph is still being read: dense search is then exact. */
  private graphReady: boolean;

  constructor(
    readonly passages: Passage[],
    private readonly vectors: Float32Array[],
    private readonly hnsw: HnswIndex,
    private readonly embedder: Embedder,
    documents: Map<string, DocumentRecord> = new Map(),
    labels?: Uint32Array,
    /** Pending while `hnsw` is being read (`LoadedIndex.graphRead`). */
    graphRead?: Promise<void>,
  ) {
    this.graphReady = !graphRead;
    // A graph that cannot be read leaves dense search exact (the server logs the error).
    graphRead?.then(
      () => {
        this.graphReady = true;
      },
      () => undefined,
    );
    this.positionOf = labels ? new Int32Array(labels.reduce((m, l) => Math.max(m, l + 1), 0)).fill(-1) : null;
    if (labels && this.positionOf) for (let i = 0; i < labels.length; i++) this.positionOf[labels[i] as number] = i;
    // A passage is indexed with its document's title and file-name words, so "Kennedy 1962" finds the
    // speech whose text never names its speaker.
    // The index persisted at ingest when the loaded generation has one for this tokenizer, else rebuilt.
    this.bm25 = persistedLexical(passages) ?? buildBm25([...lexicalTexts(passages, documents.values())]);
    this.vocabulary = new Vocabulary(this.bm25.postings);
    this.initialisms = persistedInitialisms(passages) ?? initialismsOf(documents.values());
    this.documents = documents;
  }

  private readonly documents: Map<string, DocumentRecord>;
  /** File-name words (stemmed) → the documents whose file name holds them; read the first time a question asks. */
  private fileNames?: Map<string, string[]>;

  private fileNameIndex(): Map<string, string[]> {
    if (!this.fileNames) {
      this.fileNames = new Map();
      for (const d of this.documents.values()) {
        for (const t of new Set(indexTerms(fileNameWords(d).join(' ')))) {
          const list = this.fileNames.get(t);
          if (list) list.push(d.docId);
          else this.fileNames.set(t, [d.docId]);
        }
      }
    }
    return this.fileNames;
  }

  /** The documents whose file name holds the (stemmed) word: "Kennedy" names `1962_john_f_kennedy_d.txt`. */
  filesNamed(stem: string): readonly string[] {
    return this.fileNameIndex().get(stem) ?? [];
  }

  /** File-name words one letter from `stem` that the index holds. */
  private fileNamesNear(stem: string): string[] {
    return [...this.fileNameIndex().keys()].filter((name) => editDistance(stem, name, 1) <= 1 && this.vocabulary.has(name));
  }

  /** Maps each query term to the spellings the corpus uses for it (itself, transliterations, near-misses). */
  expand(terms: QueryTerm[]): ExpandedTerm[] {
    const wn = wordNet();
    return terms.map((t) => {
      const matches = [...(this.vocabulary.has(t.stem) ? [t.stem] : []), ...this.vocabulary.variants(t.stem, t.entity, t.word.length)];
      // "rorr", "fflat": a short word no document uses and no dictionary knows, one letter from a file's name,
      // is that name misspelt ("roarr.md", "fflate.md"). Longer words are matched by `variants` already.
      if (matches.length === 0 && t.stem.length >= 4 && t.stem.length < 6 && !wn.knows(t.word)) {
        matches.push(...this.fileNamesNear(t.stem));
      }
      for (const s of inflectionsOf(t.word)) if (!matches.includes(s) && this.vocabulary.has(s)) matches.push(s);
      if (t.initialism) {
        for (const s of this.initialisms.get(t.word) ?? []) if (!matches.includes(s)) matches.push(s);
      }
      const words = [...wn.related(t.word), ...(t.phrase ? wn.related(t.phrase) : [])];
      const related = [...new Set(words.map((w) => stemWord(w)))].filter(
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
    return searchBm25(this.bm25, bm25Weights(terms, this.bm25), k);
  }

  searchDense(query: Float32Array, k: number): Array<[number, number]> {
    const n = Math.min(k, this.passages.length);
    if (n === 0) return [];
    if (!this.graphReady) return exactNearest(query, this.vectors, n);
    const { neighbors, distances } = this.hnsw.searchKnn(Array.from(query), n);
    // A graph changed in place after this index was built may also return points added since: skipped.
    const hits = neighbors
      .map((id, i) => [this.positionOf ? (this.positionOf[id] ?? -1) : id, 1 - (distances[i] as number)] as [number, number])
      .filter(([position]) => position >= 0 && position < this.passages.length);
    // Equally close passages in passage order, as BM25 ranks its ties: the graph's order among them depends
    // on when each was added, so an index changed in place would rank them unlike a rebuilt one.
    return hits.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
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

/**
 * A BM25 top score above this means the best passage matches several rare words of the query: the lexical
 * list is sure of its head, and the dense list (a far weaker ranker, see DENSE_WEIGHT) is given less say.
 */
const LEXICAL_SURE = 10;
/** How fast the dense list's say falls above LEXICAL_SURE: at twice the score, 1/16 of it. */
const LEXICAL_SURE_POWER = 4;
/** The usual cosine gap between the dense list's first and tenth passage (bench and evals: 0.11–0.15). */
const DENSE_TYPICAL_GAP = 0.12;

/**
 * The dense list's weight for one query: `base` scaled by the confidence of each list. BM25 is confident
 * when its best passage scores high (rare query words matched, many of them); the dense list when its
 * first passage stands out from its tenth. Measured (bench known-item recall@10 and eval R@k): with a fixed
 * weight, hybrid fell below BM25 alone at 100k passages (0.933 against 0.947), since dense passages
 * outranked the many near-copies BM25 puts first; with this it never does worse than the better list.
 */
export function denseWeightFor(
  lexical: Array<[number, number]>,
  dense: Array<[number, number]>,
  base: number,
): number {
  const top = lexical[0]?.[1] ?? 0;
  const lexicalDoubt = top > LEXICAL_SURE ? (LEXICAL_SURE / top) ** LEXICAL_SURE_POWER : 1;
  const tenth = dense[Math.min(9, dense.length - 1)];
  const gap = dense[0] && tenth ? dense[0][1] - tenth[1] : 0;
  const denseConfidence = Math.min(2, Math.sqrt(Math.max(0, gap) / DENSE_TYPICAL_GAP));
  return base * lexicalDoubt * denseConfidence;
}

/**
 * A related word found in more passages than this share of the corpus (and than `atLeast`) is left out of
 * the BM25 query: it tells little about which passage answers (IDF below ~4) while such words were most of
 * what a query scored at scale (100k passages: 63% of its postings; BM25 4.2 → 1.3 ms p50, known-item
 * recall@10 0.961 → 0.965; 1M: 31.5 → 14.5 ms). The floor leaves small corpora's queries as they were.
 */
const COMMON_RELATED = { share: 0.02, atLeast: 1000 };

/**
 * The weight of each index term for a query: own terms 1, other spellings 0.9, related words 0.5 (common
 * ones left out, see COMMON_RELATED); less when carried over.
 */
export function bm25Weights(terms: ExpandedTerm[], index: Bm25Index): Map<string, number> {
  const weights = new Map<string, number>();
  const put = (m: string, w: number) => weights.set(m, Math.max(weights.get(m) ?? 0, w));
  const common = Math.max(COMMON_RELATED.atLeast, COMMON_RELATED.share * index.count);
  for (const t of terms) {
    for (const m of t.matches) put(m, t.weight * (m === t.stem ? 1 : 0.9));
    for (const r of t.related) if (documentFrequency(index, r) <= common) put(r, t.weight * RELATED_WEIGHT);
  }
  return weights;
}

/**
 * Weighted reciprocal rank fusion of a lexical and a dense list, scaled so the best possible score is 1.
 * `denseWeight` is the base weight of the dense list, adapted per query by `denseWeightFor`.
 */
export function fuse(
  lexical: Array<[number, number]>,
  dense: Array<[number, number]>,
  denseWeight: number,
): Array<[number, number]> {
  const weight = denseWeightFor(lexical, dense, denseWeight);
  const fused = new Map<number, number>();
  for (const [list, w] of [
    [lexical, 1],
    [dense, weight],
  ] as const) {
    list.forEach(([id], rank) => {
      fused.set(id, (fused.get(id) ?? 0) + w / (RRF_K + rank + 1));
    });
  }
  const best = (1 + weight) / (RRF_K + 1);
  const ranked = [...fused].map(([id, s]) => [id, s / best] as [number, number]);
  ranked.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return ranked;
}

/** How deep the fused list is searched for BM25's head when choosing the passages to read. */
export const FUSED_READ_DEPTH = 20;

/**
 * The passages an answer is read from: the fused list's first `read`, then any of BM25's first
 * `lexicalHead` the fusion ranked lower (in fused order). The dense list's say in the fusion lifts
 * paraphrases, but must not push out the passages that contain the question's rarest words.
 */
export function passagesToRead(fused: Retrieved[], read: number, lexicalHead: number): Retrieved[] {
  const head = fused.slice(0, read);
  const extra = fused.slice(read).filter((r) => r.bm25Rank >= 0 && r.bm25Rank < lexicalHead);
  return [...head, ...extra];
}

/**
 * The `n` passages most similar to `query` by a scan of every vector (ties in passage order), as the graph
 * would find them: served while the graph is read (1M passages: ~0.25 s a query, for the first seconds).
 */
export function exactNearest(query: Float32Array, vectors: Float32Array[], n: number): Array<[number, number]> {
  // The n best so far, worst first, kept sorted by insertion: n is the fusion's depth (50), not the corpus.
  const best: Array<[number, number]> = [];
  for (let i = 0; i < vectors.length; i++) {
    const s = dot4(query, vectors[i] as Float32Array);
    if (best.length === n && s <= (best[0] as [number, number])[1]) continue;
    let at = 0;
    while (at < best.length && (best[at] as [number, number])[1] < s) at++;
    best.splice(at, 0, [i, s]);
    if (best.length > n) best.shift();
  }
  return best.reverse();
}

/**
 * `dot` with four sums: the scan's cost at 1M passages, 114 → 77 ms a question (196 → 77 ms on its first,
 * unoptimised call). Only for the scan: features keep `dot`'s own rounding.
 */
function dot4(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < a.length; i += 4) {
    s0 += (a[i] as number) * (b[i] as number);
    s1 += (a[i + 1] as number) * (b[i + 1] as number);
    s2 += (a[i + 2] as number) * (b[i + 2] as number);
    s3 += (a[i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < a.length; i++) s0 += (a[i] as number) * (b[i] as number);
  return s0 + s1 + s2 + s3;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

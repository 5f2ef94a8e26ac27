import { terms } from './words.ts';

/**
 * BM25 over passages with an inverted index. Hand-written rather than `wink-bm25-text-search` because
 * retrieval and abstention need the per-term document frequencies (IDF of each question term, which terms
 * exist in the corpus at all), and because scoring must touch only the postings of the query's terms so
 * a query stays fast at 100k passages; the library can't add documents after `consolidate()` either.
 */
export interface Bm25Index {
  postings: Postings;
  lengths: Uint32Array;
  avgLength: number;
  count: number;
  /** Per passage, BM25's length normalisation k1·(1 − b + b·length/avgLength), computed once. */
  norms: Float64Array;
}

/**
 * term → [passage index, term frequency] pairs, flattened: `ListPostings` (one list per term),
 * `FlatPostings` over one buffer, or `LayeredPostings` (an index changed in place, live-postings.ts).
 */
export interface Postings {
  readonly size: number;
  /** The term's pairs, passages ascending. */
  get(term: string): Uint32Array | undefined;
  has(term: string): boolean;
  keys(): Iterable<string>;
  entries(): Iterable<[string, Uint32Array]>;
  /** Passages containing the term (its document frequency), without making its list. */
  count(term: string): number;
  /**
   * What a search reads: the term's [id, tf] lists, in any order. Ids are passage indexes unless
   * `positionOf` is set: then a passage is `positionOf[id]`, not in the index when that is -1 or missing.
   */
  lists(term: string): Array<ArrayLike<number>>;
  readonly positionOf: Int32Array | null;
}

/** Postings as one list per term in a Map (what `buildBm25`, the reference implementation, builds). */
class ListPostings implements Postings {
  readonly positionOf = null;
  constructor(private readonly map: Map<string, Uint32Array>) {}
  get size(): number {
    return this.map.size;
  }
  get(term: string): Uint32Array | undefined {
    return this.map.get(term);
  }
  has(term: string): boolean {
    return this.map.has(term);
  }
  keys(): Iterable<string> {
    return this.map.keys();
  }
  entries(): Iterable<[string, Uint32Array]> {
    return this.map.entries();
  }
  count(term: string): number {
    return (this.map.get(term)?.length ?? 0) / 2;
  }
  lists(term: string): Array<ArrayLike<number>> {
    const list = this.map.get(term);
    return list ? [list] : [];
  }
}

/**
 * Postings held as lexical.bin lays them out (term i's pairs are `offsets[i] .. offsets[i+1]` of `flat`),
 * a term's list viewed when it is asked for. One view per term up front was ~29k objects at 100k passages,
 * made again on the serving thread by every write and copied by its garbage collector.
 */
export class FlatPostings implements Postings {
  readonly positionOf = null;

  constructor(
    private readonly ids: Map<string, number>,
    private readonly offsets: Uint32Array,
    private readonly flat: Uint32Array,
  ) {}

  get size(): number {
    return this.ids.size;
  }

  get(term: string): Uint32Array | undefined {
    const i = this.ids.get(term);
    return i === undefined ? undefined : this.list(i);
  }

  has(term: string): boolean {
    return this.ids.has(term);
  }

  keys(): Iterable<string> {
    return this.ids.keys();
  }

  *entries(): Generator<[string, Uint32Array]> {
    for (const [term, i] of this.ids) yield [term, this.list(i)];
  }

  count(term: string): number {
    const i = this.ids.get(term);
    return i === undefined ? 0 : (this.offsets[i + 1] as number) - (this.offsets[i] as number);
  }

  lists(term: string): Array<ArrayLike<number>> {
    const i = this.ids.get(term);
    return i === undefined ? [] : [this.list(i)];
  }

  private list(i: number): Uint32Array {
    return this.flat.subarray(2 * (this.offsets[i] as number), 2 * (this.offsets[i + 1] as number));
  }
}

export const BM25_K1 = 1.2;
/**
 * Length normalisation, lower than the textbook 0.75: passages differ in length most where one is a code
 * block or a table, and a short README entry was ranked under long ones that repeat the question's words.
 * Over nine corpora (scorer retrained each time, utility averaged over thresholds 0.25–0.40): b 0.75 → 0.5
 * cross-validated 0.580 → 0.584, never-trained sets 0.334 → 0.350; 0.4 did worse on both, 0.6 cross-validated.
 */
export const BM25_B = 0.5;

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
  const avgLength = texts.length ? total / texts.length : 0;
  const norms = Float64Array.from(lengths, (len) => BM25_K1 * (1 - BM25_B + (BM25_B * len) / avgLength));
  return { postings: new ListPostings(postings), lengths, avgLength, count: texts.length, norms };
}

export function documentFrequency(index: Bm25Index, term: string): number {
  return index.postings.count(term);
}

/** Robertson–Spärck Jones IDF, floored at a small positive value so very common terms still count a little. */
export function idf(index: Bm25Index, term: string): number {
  const df = documentFrequency(index, term);
  return Math.max(0.01, Math.log(1 + (index.count - df + 0.5) / (df + 0.5)));
}

/**
 * Score accumulators per index, reused by every search: a query's common terms touch tens of thousands of
 * passages at 100k, and a Map of them (plus sorting them all) was most of /ask's time. searchBm25 is
 * synchronous, so two searches never share a buffer at once.
 */
const scratch = new WeakMap<Bm25Index, { scores: Float64Array; touched: Uint32Array }>();

/** Whether passage a ranks below passage b: lower score, or the same score and a later position. */
function worse(scores: Float64Array, a: number, b: number): boolean {
  const sa = scores[a] as number;
  const sb = scores[b] as number;
  return sa < sb || (sa === sb && a > b);
}

/** The best k of the n touched passages, best first: a bounded min-heap, O(n log k) instead of sorting all n. */
function topK(scores: Float64Array, touched: Uint32Array, n: number, k: number): Array<[number, number]> {
  const heap: number[] = [];
  const swap = (i: number, j: number) => {
    [heap[i], heap[j]] = [heap[j] as number, heap[i] as number];
  };
  // Most passages score below the k-th held: one comparison with the root's score turns them away.
  let root = -Infinity;
  for (let i = 0; i < n && k > 0; i++) {
    const doc = touched[i] as number;
    if ((scores[doc] as number) < root) continue;
    if (heap.length < k) {
      heap.push(doc);
      for (let c = heap.length - 1; c > 0 && worse(scores, heap[c] as number, heap[(c - 1) >> 1] as number); ) {
        swap(c, (c - 1) >> 1);
        c = (c - 1) >> 1;
      }
    } else if (worse(scores, heap[0] as number, doc)) {
      heap[0] = doc;
      for (let c = 0; ; ) {
        const l = 2 * c + 1;
        let m = c;
        if (l < k && worse(scores, heap[l] as number, heap[m] as number)) m = l;
        if (l + 1 < k && worse(scores, heap[l + 1] as number, heap[m] as number)) m = l + 1;
        if (m === c) break;
        swap(c, m);
        c = m;
      }
    }
    if (heap.length === k) root = scores[heap[0] as number] as number;
  }
  return heap
    .map((doc) => [doc, scores[doc] as number] as [number, number])
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}

/**
 * Scores passages for weighted query terms (weight 1 for the question's own terms, less for expansions).
 * Returns the top `k` as [passage index, score], best first (ties: earlier passage first).
 */
export function searchBm25(index: Bm25Index, query: Map<string, number>, k: number): Array<[number, number]> {
  return index.postings.positionOf ? searchExhaustive(index, query, k) : searchBlocked(index, query, k);
}

/** BM25's saturation of a term frequency in a passage of this norm: a term's score before IDF and weight. */
function saturation(tf: number, norm: number): number {
  return (tf * (BM25_K1 + 1)) / (tf + norm);
}

interface ScoredTerm {
  /** The query weight times the term's IDF. */
  weight: number;
  lists: Array<ArrayLike<number>>;
}

/** The query's terms that some passage has, in query order: the order every search sums a passage's score in. */
function queryTerms(index: Bm25Index, query: Map<string, number>): ScoredTerm[] {
  const out: ScoredTerm[] = [];
  for (const [term, weight] of query) {
    if (weight > 0 && index.postings.count(term)) {
      out.push({ weight: weight * idf(index, term), lists: index.postings.lists(term) });
    }
  }
  return out;
}

/** Score accumulators of `index` (zero between searches) and the list of those a search touched. */
function buffersOf(index: Bm25Index): { scores: Float64Array; touched: Uint32Array } {
  let buffers = scratch.get(index);
  if (!buffers) {
    buffers = { scores: new Float64Array(index.count), touched: new Uint32Array(index.count) };
    scratch.set(index, buffers);
  }
  return buffers;
}

/** The top k of the touched passages, clearing their accumulators for the next search. */
function collect(scores: Float64Array, touched: Uint32Array, n: number, k: number): Array<[number, number]> {
  const top = topK(scores, touched, n, k);
  for (let i = 0; i < n; i++) scores[touched[i] as number] = 0;
  return top;
}

/**
 * Every passage of every query term scored, term at a time: how a layered index (changed in place, its
 * lists not in passage order) is searched, and the reference `searchBlocked` must equal.
 */
export function searchExhaustive(index: Bm25Index, query: Map<string, number>, k: number): Array<[number, number]> {
  const { scores, touched } = buffersOf(index);
  const { norms } = index;
  const { positionOf } = index.postings;
  let n = 0;
  for (const { weight, lists } of queryTerms(index, query)) {
    for (const list of lists) {
      for (let j = 0; j < list.length; j += 2) {
        let doc = list[j] as number;
        if (positionOf) {
          const at = positionOf[doc];
          if (at === undefined || at < 0) continue;
          doc = at;
        }
        if (scores[doc] === 0) touched[n++] = doc;
        scores[doc] = (scores[doc] as number) + weight * saturation(list[j + 1] as number, norms[doc] as number);
      }
    }
  }
  return collect(scores, touched, n, k);
}

/**
 * Passages scored per range of this many, every term's postings in the range before the next range: the
 * accumulators and norms of a range stay in the CPU's cache while all the terms add to them. At 1M passages
 * (16 MB of them) term at a time went to memory for nearly every posting: 20 ms a query against 14 here.
 */
const BLOCK = 1 << 15;

/** `searchExhaustive` over lists in passage order, a block of passages at a time; the same sums, in the same order. */
function searchBlocked(index: Bm25Index, query: Map<string, number>, k: number): Array<[number, number]> {
  const { scores, touched } = buffersOf(index);
  const { norms } = index;
  const terms = queryTerms(index, query);
  const lists = terms.map((t) => t.lists[0] as ArrayLike<number>);
  const at = new Uint32Array(terms.length);
  let n = 0;
  for (let end = BLOCK; end < index.count + BLOCK; end += BLOCK) {
    for (let t = 0; t < terms.length; t++) {
      const weight = (terms[t] as ScoredTerm).weight;
      const list = lists[t] as ArrayLike<number>;
      let j = at[t] as number;
      for (; j < list.length; j += 2) {
        const doc = list[j] as number;
        if (doc >= end) break;
        if (scores[doc] === 0) touched[n++] = doc;
        scores[doc] = (scores[doc] as number) + weight * saturation(list[j + 1] as number, norms[doc] as number);
      }
      at[t] = j;
    }
  }
  return collect(scores, touched, n, k);
}

import { BM25_B, BM25_K1, type Bm25Index, type Postings } from './bm25.ts';
import type { ChangeSite } from '../index-changes.ts';
import { lexicalIndex } from './lexical-index.ts';
import { terms } from './words.ts';

/**
 * BM25 changed in place by the documents API on the serving thread. Splicing the postings (or taking the
 * writer's spliced copy, tens of MB at 100k passages) allocated the whole index again at every add or
 * delete: the garbage collector ran a mark-compact every other write and stalled the event loop for tens of
 * milliseconds. A layer leaves the loaded postings as they are and numbers passages by stable ids instead:
 * the loaded index's passages keep their position at load as id, added passages get new ids, `positionOf`
 * maps each id to its position now (-1: deleted), and document frequencies carry the change. A write
 * allocates in proportion to the document, but for that table and the per-passage lengths and norms.
 */

/** Shared by every layer over one loaded index: the added passages' postings (append-only) and the next id. */
interface Added {
  lists: Map<string, number[]>;
  nextId: number;
}

export class LayeredPostings implements Postings {
  constructor(
    /** The loaded index's postings: [id, tf] pairs, an id being the passage's position at load. */
    readonly base: Postings,
    private readonly added: Added,
    /** id → this index's position of the passage; -1 when deleted, missing when added to a later index. */
    readonly positionOf: Int32Array,
    /** Per term, passages containing it now minus in `base`. */
    private readonly dfChange: Map<string, number>,
    /** Passages added and removed since `base`: what a compaction would save. */
    readonly changed: number,
  ) {}

  /** `index` with `site`'s change applied, as a layer over its postings (or over those it layers). */
  static over(index: Bm25Index, site: ChangeSite): Bm25Index {
    const previous = index.postings instanceof LayeredPostings ? index.postings : null;
    const { passage: at, removed, texts, removedTexts } = site;
    const shift = texts.length - removed;
    const added = previous?.added ?? { lists: new Map<string, number[]>(), nextId: index.count };
    // Ids are never reused, even those of a layer that was built and then not served.
    const firstId = added.nextId;
    added.nextId += texts.length;
    const positionOf = new Int32Array(added.nextId).fill(-1);
    const before = previous?.positionOf;
    const known = before ? before.length : index.count;
    for (let id = 0; id < known; id++) {
      const p = before ? (before[id] as number) : id;
      positionOf[id] = p < at ? p : p < at + removed ? -1 : p + shift;
    }
    const dfChange = new Map(previous?.dfChange);
    const count = (t: string, by: number) => dfChange.set(t, (dfChange.get(t) ?? 0) + by);
    for (const text of removedTexts) for (const t of new Set(terms(text))) count(t, -1);
    const lengths = new Uint32Array(index.count + shift);
    lengths.set(index.lengths.subarray(0, at));
    lengths.set(index.lengths.subarray(at + removed), at + texts.length);
    texts.forEach((text, i) => {
      const ts = terms(text);
      lengths[at + i] = ts.length;
      positionOf[firstId + i] = at + i;
      const tf = new Map<string, number>();
      for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let list = added.lists.get(t);
        if (!list) {
          list = [];
          added.lists.set(t, list);
        }
        list.push(firstId + i, n);
        count(t, 1);
      }
    });
    const base = previous?.base ?? index.postings;
    const changed = (previous?.changed ?? 0) + removed + texts.length;
    // As `buildLexical` computes them over the new passage list, so scores are a rebuild's to the bit
    // (plain loops: `Float64Array.from` with a mapping function was most of a write's time at 100k).
    const n = lengths.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += lengths[i] as number;
    const avgLength = n ? total / n : 0;
    const norms = new Float64Array(n);
    for (let i = 0; i < n; i++) norms[i] = BM25_K1 * (1 - BM25_B + (BM25_B * (lengths[i] as number)) / avgLength);
    return {
      postings: new LayeredPostings(base, added, positionOf, dfChange, changed),
      lengths,
      avgLength,
      count: lengths.length,
      norms,
    };
  }

  count(term: string): number {
    return this.base.count(term) + (this.dfChange.get(term) ?? 0);
  }

  has(term: string): boolean {
    return this.count(term) > 0;
  }

  get size(): number {
    let n = 0;
    for (const _ of this.keys()) n++;
    return n;
  }

  *keys(): Generator<string> {
    for (const t of this.base.keys()) if (!this.dfChange.has(t) || this.has(t)) yield t;
    for (const t of this.addedTerms()) if (this.has(t)) yield t;
  }

  /** Terms of added passages the loaded index lacks, including any since deleted (`has` tells). */
  *addedTerms(): Generator<string> {
    for (const t of this.added.lists.keys()) if (!this.base.has(t)) yield t;
  }

  lists(term: string): Array<ArrayLike<number>> {
    const out = this.base.lists(term);
    const extra = this.added.lists.get(term);
    return extra ? [...out, extra] : out;
  }

  /** The term's [position, tf] pairs, positions ascending, as a spliced index holds them (for writing it). */
  get(term: string): Uint32Array | undefined {
    const pairs: Array<[number, number]> = [];
    for (const list of this.lists(term)) {
      for (let j = 0; j < list.length; j += 2) {
        const at = this.positionOf[list[j] as number];
        if (at !== undefined && at >= 0) pairs.push([at, list[j + 1] as number]);
      }
    }
    if (!pairs.length) return undefined;
    pairs.sort((a, b) => a[0] - b[0]);
    return Uint32Array.from(pairs.flat());
  }

  *entries(): Generator<[string, Uint32Array]> {
    for (const t of this.keys()) yield [t, this.get(t) as Uint32Array];
  }

  /**
   * The same postings in flat arrays keyed by position (`lexicalIndex`), as written to lexical.bin: each
   * term's loaded list mapped (ids in order stay in order) merged with its added passages sorted.
   */
  compact(index: Bm25Index): Bm25Index {
    let size = 0;
    for (const t of this.keys()) size += 2 * this.count(t);
    const flat = new Uint32Array(size);
    const vocabulary: string[] = [];
    const ends: number[] = [0];
    const { positionOf } = this;
    let w = 0;
    for (const term of this.keys()) {
      const start = w;
      const extra: Array<[number, number]> = [];
      const added = this.added.lists.get(term) ?? [];
      for (let j = 0; j < added.length; j += 2) {
        const at = positionOf[added[j] as number];
        if (at !== undefined && at >= 0) extra.push([at, added[j + 1] as number]);
      }
      extra.sort((a, b) => a[0] - b[0]);
      let e = 0;
      const list = this.base.get(term) ?? new Uint32Array(0);
      for (let j = 0; j < list.length; j += 2) {
        const at = positionOf[list[j] as number] as number;
        if (at < 0) continue;
        for (; e < extra.length && (extra[e] as [number, number])[0] < at; e++) {
          flat[w++] = (extra[e] as [number, number])[0];
          flat[w++] = (extra[e] as [number, number])[1];
        }
        flat[w++] = at;
        flat[w++] = list[j + 1] as number;
      }
      for (; e < extra.length; e++) {
        flat[w++] = (extra[e] as [number, number])[0];
        flat[w++] = (extra[e] as [number, number])[1];
      }
      if (w === start) continue;
      vocabulary.push(term);
      ends.push(w / 2);
    }
    return lexicalIndex(vocabulary, Uint32Array.from(ends), flat.subarray(0, w), index.lengths);
  }
}

/** `index` in flat arrays keyed by position: itself unless it is a layer. */
export function compactLexical(index: Bm25Index): Bm25Index {
  return index.postings instanceof LayeredPostings ? index.postings.compact(index) : index;
}

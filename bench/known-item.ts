import type { DocumentRecord, Passage } from '../store/format.ts';
import type { Engine, RetrievalMode } from '../server/qa/index.ts';
import { isStopword } from '../store/lexical/words.ts';
import { mulberry32, pick, type Rng } from './random.ts';
import { mean, median } from './stats.ts';
import type { WordNet } from './synonyms.ts';

/**
 * Known-item retrieval: a sentence of a sampled passage, degraded the way a user half-remembers it (words
 * dropped, some replaced by synonyms), must find its passage among all passages. It measures retrieval at
 * scale without hand-made relevance judgments.
 */

export const KNOWN_ITEM_SEED = 9;
/** Share of a sentence's words left out of its query. */
export const DROP_RATE = 0.3;
/** Chance that a kept content word with a WordNet synonym is replaced by it. */
export const SWAP_RATE = 0.3;
/** Sentences shorter than this (in words) make queries too vague to have one right answer. */
const MIN_WORDS = 10;
export const RECALL_K = 10;

export interface KnownItem {
  /** The sentence the query was made from. */
  sentence: string;
  query: string;
  /** Passages (index positions) that contain the sentence: the recombined corpus repeats some sentences. */
  relevant: number[];
}

/** The degraded query: each word dropped with DROP_RATE, kept content words swapped with SWAP_RATE. */
export function degrade(sentence: string, rng: Rng, wordnet: WordNet): { query: string; swapped: number } {
  const tokens = sentence.split(/\s+/).filter(Boolean);
  const kept = tokens.filter(() => rng() >= DROP_RATE);
  let swapped = 0;
  const words = kept.map((token) => {
    const m = token.match(/^(\W*)([a-z]+)(\W*)$/);
    if (!m || isStopword(m[2] as string)) return token;
    const synonyms = wordnet.synonyms(m[2] as string);
    if (synonyms.length === 0 || rng() >= SWAP_RATE) return token;
    swapped++;
    return `${m[1]}${pick(rng, synonyms)}${m[3]}`;
  });
  return { query: words.join(' '), swapped };
}

export interface SampledQuery {
  sentence: string;
  query: string;
  swapped: number;
}

/**
 * Queries made from `n` seeded random passages (one sentence each, degraded). Different seeds give different
 * queries, so latency passes don't just replay one set through warm caches.
 */
export function sampleQueries(
  passages: Passage[],
  documents: Map<string, DocumentRecord>,
  n: number,
  wordnet: WordNet,
  seed = KNOWN_ITEM_SEED,
): SampledQuery[] {
  const rng = mulberry32(seed);
  const chosen = new Set<number>();
  const picked: SampledQuery[] = [];
  while (picked.length < n && chosen.size < passages.length) {
    const i = Math.floor(rng() * passages.length);
    if (chosen.has(i)) continue;
    chosen.add(i);
    const p = passages[i] as Passage;
    const doc = documents.get(p.docId) as DocumentRecord;
    const sentences = p.sentences
      .map(([s, e]) => doc.text.slice(s, e))
      .filter((s) => s !== doc.title && s.split(/\s+/).length >= MIN_WORDS);
    if (sentences.length === 0) continue;
    const sentence = pick(rng, sentences);
    picked.push({ sentence, ...degrade(sentence, rng, wordnet) });
  }
  return picked;
}

/** Sampled queries with every passage that holds each one's sentence (one pass over all passages). */
export function knownItems(
  passages: Passage[],
  documents: Map<string, DocumentRecord>,
  n: number,
  wordnet: WordNet,
): { items: KnownItem[]; swapsPerQuery: number; wordsPerQuery: number } {
  const picked = sampleQueries(passages, documents, n, wordnet);
  const relevant = picked.map(() => [] as number[]);
  passages.forEach((p, i) => {
    picked.forEach((k, j) => {
      if (p.text.includes(k.sentence)) relevant[j]?.push(i);
    });
  });
  return {
    items: picked.map((k, j) => ({
      sentence: k.sentence,
      query: k.query,
      relevant: relevant[j] as number[],
    })),
    swapsPerQuery: mean(picked.map((k) => k.swapped)),
    wordsPerQuery: mean(picked.map((k) => k.query.split(' ').length)),
  };
}

/**
 * Recall@k with the denominator capped at k (a sentence repeated in more than k passages can't have all of
 * them in the top k), averaged over the items.
 */
export function recallAtK(ranked: number[], relevant: number[], k = RECALL_K): number {
  const top = new Set(ranked.slice(0, k));
  const found = relevant.filter((r) => top.has(r)).length;
  return found / Math.min(relevant.length, k);
}

export interface KnownItemResult {
  queries: number;
  /** Mean number of passages holding the query's sentence (1 = unique). */
  relevantPerQuery: number;
  recall: Record<RetrievalMode, number>;
  /** Median retrieval time per query (analysis, embedding, search), ms. */
  medianMs: Record<RetrievalMode, number>;
}

export async function evaluateKnownItems(engine: Engine, items: KnownItem[]): Promise<KnownItemResult> {
  const modes: RetrievalMode[] = ['hybrid', 'bm25', 'dense'];
  const recall = {} as Record<RetrievalMode, number>;
  const medianMs = {} as Record<RetrievalMode, number>;
  for (const mode of modes) {
    const recalls: number[] = [];
    const times: number[] = [];
    for (const item of items) {
      const t0 = performance.now();
      const hits = await engine.retrieve(item.query, { mode, k: RECALL_K });
      times.push(performance.now() - t0);
      recalls.push(
        recallAtK(
          hits.map((h) => h.index),
          item.relevant,
        ),
      );
    }
    recall[mode] = mean(recalls);
    medianMs[mode] = median(times);
  }
  return {
    queries: items.length,
    relevantPerQuery: mean(items.map((i) => i.relevant.length)),
    recall,
    medianMs,
  };
}

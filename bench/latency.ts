import { analyseQuestion, type AskInput, type Engine } from '../server/qa/index.ts';
import { type Latency, mean, medianOfRuns, percentile, summarize } from './stats.ts';

/** What retrieve.ts reads from each list before fusion (its CANDIDATES), so stages cost what they cost in /ask. */
const CANDIDATES = 50;
/** engine.ask retrieves max(k, 10) passages. */
const RETRIEVE_K = 10;

export interface AskLatency {
  /** Field-wise median over the passes. */
  latency: Latency;
  passes: number;
  /** Median of the engine's own split of each answer. */
  retrieveMs: number;
  answerMs: number;
  abstainedShare: number;
}

/**
 * `engine.ask` as /ask calls it, timed from outside: a warm-up pass, then one pass per input list. Passes get
 * different queries so that per-term caches are exercised as by real traffic, not replayed.
 */
export async function askLatency(
  engine: Engine,
  warmUp: AskInput[],
  passes: AskInput[][],
): Promise<AskLatency> {
  for (const input of warmUp) await engine.ask(input);
  const runs: Latency[] = [];
  const retrieve: number[] = [];
  const answer: number[] = [];
  let abstained = 0;
  let asked = 0;
  for (const inputs of passes) {
    const samples: number[] = [];
    for (const input of inputs) {
      const t0 = performance.now();
      const r = await engine.ask(input);
      samples.push(performance.now() - t0);
      retrieve.push(r.timings.retrieveMs);
      answer.push(r.timings.answerMs);
      if (r.abstained) abstained++;
      asked++;
    }
    runs.push(summarize(samples));
  }
  return {
    latency: medianOfRuns(runs),
    passes: passes.length,
    retrieveMs: percentile(retrieve, 50),
    answerMs: percentile(answer, 50),
    abstainedShare: abstained / asked,
  };
}

/** Stages of an answer; they add up to engine.ask. */
export const STAGES = ['analyse', 'expand', 'embed', 'search', 'answer'] as const;
/** Parts of `search`, timed separately. */
export const SEARCH_PARTS = ['bm25', 'dense'] as const;
export type Stage = (typeof STAGES)[number] | (typeof SEARCH_PARTS)[number];

export interface StageTime {
  p50: number;
  p95: number;
  mean: number;
  /** Share of the mean engine.ask time: where an answer's time goes. */
  share: number;
}

/**
 * The answer path of engine.ask taken apart through the retriever's public steps, each timed on its own:
 * question analysis, query-term expansion (spelling variants), query embedding, hybrid search (and, timed
 * separately, its BM25 and HNSW candidate searches); `answer` is the rest of a full engine.ask of the same
 * input (word vectors, sentence selection, composition). Tells which function to optimise.
 */
export async function stageBreakdown(engine: Engine, inputs: AskInput[]): Promise<Record<Stage, StageTime>> {
  const samples = Object.fromEntries([...STAGES, ...SEARCH_PARTS].map((s) => [s, [] as number[]])) as Record<
    Stage,
    number[]
  >;
  const r = engine.retriever;
  const timed = async <T>(stage: Stage, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    samples[stage].push(performance.now() - t0);
    return out;
  };
  const asks: number[] = [];
  for (const input of inputs) {
    const analysed = await timed('analyse', () => analyseQuestion(input.question, input.history));
    const terms = await timed('expand', () => r.expand(analysed.terms));
    const queryVector = await timed('embed', () => r.embedQuery(analysed.searchText));
    await timed('bm25', () => r.searchBm25(terms, CANDIDATES));
    await timed('dense', () => r.searchDense(queryVector, CANDIDATES));
    await timed('search', () => r.search({ terms, queryVector, mode: 'hybrid', k: RETRIEVE_K }));
    const t0 = performance.now();
    await engine.ask(input);
    const askMs = performance.now() - t0;
    asks.push(askMs);
    const retrieval = STAGES.slice(0, -1).reduce((sum, st) => sum + (samples[st].at(-1) as number), 0);
    samples.answer.push(Math.max(0, askMs - retrieval));
  }
  const total = mean(asks);
  return Object.fromEntries(
    Object.entries(samples).map(([stage, xs]) => [
      stage,
      { p50: percentile(xs, 50), p95: percentile(xs, 95), mean: mean(xs), share: mean(xs) / total },
    ]),
  ) as Record<Stage, StageTime>;
}

/** POST /ask over HTTP (keep-alive, one request at a time): a warm-up pass, then one pass per input list. */
export async function httpLatency(url: string, warmUp: AskInput[], passes: AskInput[][]): Promise<Latency> {
  const ask = async (input: AskInput) => {
    const res = await fetch(`${url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/ask returned ${res.status}`);
  };
  for (const input of warmUp) await ask(input);
  const runs: Latency[] = [];
  for (const inputs of passes) {
    const samples: number[] = [];
    for (const input of inputs) {
      const t0 = performance.now();
      await ask(input);
      samples.push(performance.now() - t0);
    }
    runs.push(summarize(samples));
  }
  return medianOfRuns(runs);
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../ingest/model/paths.ts';
import { z } from 'zod';

/**
 * The answer scorer: logistic regression over generic features of a candidate unit, trained by
 * `npm run train` on the question sets of more than one corpus. Its probability is read as "this unit
 * answers the question"; below `threshold` Footnote abstains.
 */
const LinearSchema = z.object({
  features: z.array(z.string()),
  mean: z.array(z.number()),
  scale: z.array(z.number()),
  weights: z.array(z.number()),
  bias: z.number(),
});
export type Linear = z.infer<typeof LinearSchema>;

/**
 * Two models: `candidate` ranks the units of a question (is this unit the answer?); `decision`, fed the
 * best candidate's probability, its margin over the runner-up and question-level evidence, gives the
 * calibrated probability that the best candidate answers the question. Below `threshold`: abstain.
 */
export const ScorerWeightsSchema = z.object({
  candidate: LinearSchema,
  decision: LinearSchema,
  threshold: z.number(),
  trainedOn: z.array(z.object({ set: z.string(), sha256: z.string(), questions: z.number() })).optional(),
  crossValidation: z.record(z.string(), z.unknown()).optional(),
});
export type ScorerWeights = z.infer<typeof ScorerWeightsSchema>;

export interface Scorer {
  readonly threshold: number;
  /** Probability that a candidate unit is the answer (ranks candidates). */
  probability(x: readonly number[]): number;
  /** Probability that the best candidate answers the question (decides answer or abstain). */
  confidence(x: readonly number[]): number;
  /** Each candidate feature's share of the logit (for `debug` and the eval report). */
  contributions(x: readonly number[]): Record<string, number>;
}

/** A linear model's logit: its weights over the standardised features, plus its bias. */
function logitOf(w: Omit<Linear, 'features'>, x: readonly number[]): number {
  return w.weights.reduce((s, wi, i) => s + wi * (((x[i] ?? 0) - (w.mean[i] ?? 0)) / (w.scale[i] || 1)), w.bias);
}

export function linear(w: Linear) {
  return {
    probability: (x: readonly number[]) => 1 / (1 + Math.exp(-logitOf(w, x))),
    contributions: (x: readonly number[]) =>
      Object.fromEntries(
        w.features.map((f, i) => [
          f,
          Math.round((w.weights[i] ?? 0) * (((x[i] ?? 0) - (w.mean[i] ?? 0)) / (w.scale[i] || 1)) * 1000) / 1000,
        ]),
      ),
  };
}

export function scorerFrom(w: ScorerWeights): Scorer {
  const candidate = linear(w.candidate);
  const decision = linear(w.decision);
  return {
    threshold: w.threshold,
    probability: candidate.probability,
    confidence: decision.probability,
    contributions: candidate.contributions,
  };
}

export const WEIGHTS_FILE = join(REPO_ROOT, 'server', 'qa', 'weights.json');

/** The committed weights; a feature list that no longer matches the code is a build error, not a guess. */
export function loadScorer(candidate: readonly string[], decision: readonly string[]): Scorer {
  const w = ScorerWeightsSchema.parse(JSON.parse(readFileSync(WEIGHTS_FILE, 'utf8')));
  if (w.candidate.features.join() !== candidate.join() || w.decision.features.join() !== decision.join()) {
    throw new Error('server/qa/weights.json was trained on other features: run npm run train');
  }
  return scorerFrom(w);
}

/**
 * Fits L2-regularised logistic regression by full-batch gradient descent on standardised features.
 * A few hundred lines of a library would add nothing for a dozen features and a few thousand rows.
 */
export function fitLogistic(
  rows: ReadonlyArray<readonly number[]>,
  labels: readonly number[],
  opts: { l2?: number; iterations?: number; rate?: number; positiveWeight?: number } = {},
): Omit<Linear, 'features'> {
  const d = rows[0]?.length ?? 0;
  const n = rows.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + (r[j] ?? 0), 0) / Math.max(1, n));
  const scale = Array.from({ length: d }, (_, j) => {
    const v = rows.reduce((s, r) => s + ((r[j] ?? 0) - (mean[j] ?? 0)) ** 2, 0) / Math.max(1, n);
    return Math.sqrt(v) || 1;
  });
  const xs = rows.map((r) => r.map((v, j) => (v - (mean[j] ?? 0)) / (scale[j] ?? 1)));
  const { l2 = 0.01, iterations = 600, rate = 0.5, positiveWeight = 1 } = opts;
  const weights = new Array<number>(d).fill(0);
  let bias = 0;
  const sampleWeight = labels.map((y) => (y === 1 ? positiveWeight : 1));
  const total = sampleWeight.reduce((a, b) => a + b, 0);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    let gb = 0;
    xs.forEach((x, i) => {
      const zi = x.reduce((s, v, j) => s + v * (weights[j] as number), bias);
      const err = (1 / (1 + Math.exp(-zi)) - (labels[i] as number)) * (sampleWeight[i] as number);
      for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + err * (x[j] as number);
      gb += err;
    });
    for (let j = 0; j < d; j++) {
      weights[j] = (weights[j] as number) - rate * ((grad[j] as number) / total + l2 * (weights[j] as number));
    }
    bias -= rate * (gb / total);
  }
  return { mean, scale, weights, bias };
}

/**
 * Fits a listwise ranker (conditional logit: softmax over each question's candidates, the positives as the
 * target), then calibrates its scores with a one-feature logistic fit so `sigmoid(w·x + b)` reads as a
 * probability. Choosing the best of a question's candidates is a ranking task: a pointwise fit spends its
 * capacity separating easy negatives from other questions.
 */
export function fitListwise(
  groups: ReadonlyArray<{ rows: ReadonlyArray<readonly number[]>; labels: readonly number[] }>,
  opts: { l2?: number; iterations?: number; rate?: number } = {},
): Omit<Linear, 'features'> {
  const all = groups.flatMap((g) => g.rows);
  const d = all[0]?.length ?? 0;
  const n = all.length;
  const mean = Array.from({ length: d }, (_, j) => all.reduce((s, r) => s + (r[j] ?? 0), 0) / Math.max(1, n));
  const scale = Array.from({ length: d }, (_, j) => {
    const v = all.reduce((s, r) => s + ((r[j] ?? 0) - (mean[j] ?? 0)) ** 2, 0) / Math.max(1, n);
    return Math.sqrt(v) || 1;
  });
  const std = (r: readonly number[]) => r.map((v, j) => (v - (mean[j] ?? 0)) / (scale[j] ?? 1));
  const ranked = groups
    .filter((g) => g.labels.some((l) => l === 1))
    .map((g) => ({ xs: g.rows.map(std), labels: g.labels }));
  const { l2 = 0.003, iterations = 400, rate = 0.5 } = opts;
  const w = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    for (const g of ranked) {
      const s = g.xs.map((x) => x.reduce((a, v, j) => a + v * (w[j] as number), 0));
      const max = Math.max(...s);
      const e = s.map((v) => Math.exp(v - max));
      const z = e.reduce((a, b) => a + b, 0);
      const positives = g.labels.reduce((a, b) => a + b, 0);
      g.xs.forEach((x, i) => {
        const diff = (e[i] as number) / z - (g.labels[i] as number) / positives;
        for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + diff * (x[j] as number);
      });
    }
    for (let j = 0; j < d; j++) {
      w[j] = (w[j] as number) - rate * ((grad[j] as number) / Math.max(1, ranked.length) + l2 * (w[j] as number));
    }
  }
  // Calibration: p = sigmoid(a·score + b) on every candidate, answerable or not.
  return calibrate({ mean, scale, weights: w, bias: 0 }, all, groups.flatMap((g) => g.labels));
}

/**
 * Platt scaling: rescales a linear model's logit (a·z + b, fitted on `rows`) so that its sigmoid reads as a
 * probability again. The ranking of rows is unchanged; a strongly regularised fit keeps its direction and
 * regains its scale.
 */
export function calibrate(
  model: Omit<Linear, 'features'>,
  rows: ReadonlyArray<readonly number[]>,
  labels: readonly number[],
): Omit<Linear, 'features'> {
  const cal = fitLogistic(
    rows.map((r) => [logitOf(model, r)]),
    labels,
    { l2: 0, iterations: 300, rate: 0.5 },
  );
  const a = (cal.weights[0] as number) / (cal.scale[0] as number);
  const b = cal.bias - a * (cal.mean[0] as number);
  return { ...model, weights: model.weights.map((w) => w * a), bias: model.bias * a + b };
}

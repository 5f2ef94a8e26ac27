import { percentile as nearestRank } from '../evals/metrics.ts';

/** The evals' nearest-rank percentile (one definition for both reports); NaN for an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  return nearestRank(values, p) ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  n: number;
}

export function summarize(samples: readonly number[]): Latency {
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    mean: mean(samples),
    n: samples.length,
  };
}

/**
 * Field-wise median of repeated runs: one run's p99 is at the mercy of a single GC pause or a noisy
 * neighbour, the median of several is what we report.
 */
export function medianOfRuns<T extends { [K in keyof T]: number }>(runs: readonly T[]): T {
  const first = runs[0];
  if (!first) throw new Error('medianOfRuns needs at least one run');
  const out = { ...first };
  for (const key of Object.keys(first) as (keyof T)[])
    out[key] = median(runs.map((r) => r[key])) as T[keyof T];
  return out;
}

/** Milliseconds since `t0` (a performance.now() reading). */
export function since(t0: number): number {
  return performance.now() - t0;
}

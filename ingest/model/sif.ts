// Smooth inverse frequency weighting (Arora, Liang & Ma 2017, "A simple but tough-to-beat baseline for
// sentence embeddings"), baked into the word rows so that mean pooling yields a SIF sentence vector.

export interface SifOptions {
  /** Smoothing constant `a` in a / (a + p(w)). */
  a: number;
  /** How many of the most frequent words define the common direction. */
  commonTop: number;
}

const EULER_GAMMA = 0.5772156649;

/** Zipf estimate of a word's unigram probability from its frequency rank among `vocabularySize` words. */
export function zipfProbability(rank: number, vocabularySize: number): number {
  return 1 / ((rank + 1) * (Math.log(vocabularySize) + EULER_GAMMA));
}

/**
 * Scales every row by a / (a + p(w)), then removes the common direction: the probability-weighted mean of
 * the weighted rows of the `commonTop` most frequent words, i.e. the expected sentence vector, which
 * otherwise dominates every sentence (Arora et al. remove the sentences' first principal component).
 * Rows are changed in place.
 */
export function applySif(
  rows: Float64Array,
  ranks: Uint32Array,
  dimensions: number,
  vocabularySize: number,
  { a, commonTop }: SifOptions,
): void {
  const common = new Float64Array(dimensions);
  for (let i = 0; i < ranks.length; i++) {
    const p = zipfProbability(ranks[i] as number, vocabularySize);
    const weight = a / (a + p);
    const row = rows.subarray(i * dimensions, (i + 1) * dimensions);
    for (let d = 0; d < dimensions; d++) row[d] = (row[d] as number) * weight;
    if ((ranks[i] as number) < commonTop) {
      for (let d = 0; d < dimensions; d++) common[d] = (common[d] as number) + p * (row[d] as number);
    }
  }
  const norm = Math.hypot(...common);
  if (norm === 0) return;
  for (let d = 0; d < dimensions; d++) common[d] = (common[d] as number) / norm;

  for (let i = 0; i < ranks.length; i++) {
    const row = rows.subarray(i * dimensions, (i + 1) * dimensions);
    let dot = 0;
    for (let d = 0; d < dimensions; d++) dot += (row[d] as number) * (common[d] as number);
    for (let d = 0; d < dimensions; d++) row[d] = (row[d] as number) - dot * (common[d] as number);
  }
}

export interface QuantizedRows {
  /** Row-major int8 values; dequantised value = q × scale of its row. */
  values: Int8Array;
  scales: Float32Array;
}

/** Symmetric per-row int8 quantisation, preceded by `leadingZeroRows` all-zero rows (the special tokens). */
export function quantizeRows(rows: Float64Array, dimensions: number, leadingZeroRows: number): QuantizedRows {
  const count = rows.length / dimensions;
  const values = new Int8Array((count + leadingZeroRows) * dimensions);
  const scales = new Float32Array(count + leadingZeroRows);
  for (let i = 0; i < count; i++) {
    const row = rows.subarray(i * dimensions, (i + 1) * dimensions);
    let max = 0;
    for (const x of row) max = Math.max(max, Math.abs(x));
    const scale = Math.fround(max / 127);
    const out = (i + leadingZeroRows) * dimensions;
    scales[i + leadingZeroRows] = scale;
    if (scale === 0) continue;
    for (let d = 0; d < dimensions; d++) values[out + d] = Math.round((row[d] as number) / scale);
  }
  return { values, scales };
}

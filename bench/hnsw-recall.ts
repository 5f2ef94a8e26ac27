import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FILES, type LoadedIndex } from '../store/generations.ts';
import { percentile } from './stats.ts';

/** The vectors exactly as ingest wrote them (vectors.f32: row i is passage i, unit length). */
export async function readVectors(index: LoadedIndex): Promise<Float32Array> {
  const raw = await readFile(path.join(index.dir, FILES.vectors));
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
}

export interface Neighbours {
  ids: number[];
  /** Cosine similarities, best first. */
  sims: number[];
}

/** Exact k nearest neighbours by cosine (vectors are unit length, so a dot product), scanning every row. */
export function exactTopK(flat: Float32Array, dims: number, query: Float32Array, k: number): Neighbours {
  const ids: number[] = [];
  const sims: number[] = [];
  const rows = flat.length / dims;
  for (let row = 0; row < rows; row++) {
    let s = 0;
    const base = row * dims;
    for (let d = 0; d < dims; d++) s += (flat[base + d] as number) * (query[d] as number);
    if (ids.length === k && s <= (sims[k - 1] as number)) continue;
    let at = ids.length === k ? k - 1 : ids.length;
    while (at > 0 && (sims[at - 1] as number) < s) at--;
    ids.splice(at, 0, row);
    sims.splice(at, 0, s);
    if (ids.length > k) {
      ids.pop();
      sims.pop();
    }
  }
  return { ids, sims };
}

function dot(flat: Float32Array, dims: number, row: number, query: Float32Array): number {
  let s = 0;
  for (let d = 0; d < dims; d++) s += (flat[row * dims + d] as number) * (query[d] as number);
  return s;
}

/**
 * Share of the exact top k found, tie-aware: a returned neighbour counts if it is at least as similar as
 * the exact k-th one (two passages with equal vectors are equally right answers).
 */
export function recallVsExact(
  found: number[],
  exact: Neighbours,
  flat: Float32Array,
  dims: number,
  query: Float32Array,
): number {
  const k = exact.ids.length;
  if (k === 0) return 1;
  const kth = exact.sims[k - 1] as number;
  const hits = found.slice(0, k).filter((id) => dot(flat, dims, id, query) >= kth - 1e-6).length;
  return Math.min(hits, k) / k;
}

export interface HnswPoint {
  efSearch: number;
  recall: number;
  /** Per-query latency, microseconds. */
  p50Us: number;
  p95Us: number;
  /** Exact search p50 / HNSW p50. */
  speedup: number;
}

export interface HnswResult {
  queries: number;
  k: number;
  m: number;
  efConstruction: number;
  /** The efSearch the index ships with (manifest.hnsw). */
  efSearch: number;
  exactP50Us: number;
  exactP95Us: number;
  /** At the shipped efSearch: recall@50, the depth hybrid retrieval reads. */
  recallAt50: number;
  sweep: HnswPoint[];
}

/**
 * HNSW (the index the server searches, as loaded) against exact search on the same vectors, for queries
 * embedded like real ones. Each efSearch of the sweep is timed over all queries; the shipped one is restored.
 */
export async function evaluateHnsw(
  index: LoadedIndex,
  queries: Float32Array[],
  efs: number[],
  k = 10,
): Promise<HnswResult> {
  const flat = await readVectors(index);
  const dims = index.manifest.model.dimensions;
  const exactTimes: number[] = [];
  const exact = queries.map((q) => {
    const t0 = performance.now();
    const n = exactTopK(flat, dims, q, k);
    exactTimes.push((performance.now() - t0) * 1000);
    return n;
  });
  const exactP50Us = percentile(exactTimes, 50);
  const n = Math.min(k, index.passages.length);
  const sweep: HnswPoint[] = [];
  const shipped = index.manifest.hnsw.efSearch;
  try {
    for (const ef of [...new Set([...efs, shipped])].sort((a, b) => a - b)) {
      index.hnsw.setEf(ef);
      const times: number[] = [];
      const recalls: number[] = [];
      queries.forEach((q, i) => {
        const t0 = performance.now();
        const { neighbors } = index.hnsw.searchKnn(Array.from(q), n);
        times.push((performance.now() - t0) * 1000);
        recalls.push(recallVsExact(neighbors, exact[i] as Neighbours, flat, dims, q));
      });
      const p50Us = percentile(times, 50);
      sweep.push({
        efSearch: ef,
        recall: recalls.reduce((a, b) => a + b, 0) / recalls.length,
        p50Us,
        p95Us: percentile(times, 95),
        speedup: exactP50Us / p50Us,
      });
    }
    index.hnsw.setEf(shipped);
    const deep = Math.min(50, index.passages.length);
    const recallAt50 =
      queries.reduce((s, q) => {
        const { neighbors } = index.hnsw.searchKnn(Array.from(q), deep);
        return s + recallVsExact(neighbors, exactTopK(flat, dims, q, deep), flat, dims, q);
      }, 0) / queries.length;
    return {
      queries: queries.length,
      k,
      m: index.manifest.hnsw.m,
      efConstruction: index.manifest.hnsw.efConstruction,
      efSearch: shipped,
      exactP50Us,
      exactP95Us: percentile(exactTimes, 95),
      recallAt50,
      sweep,
    };
  } finally {
    index.hnsw.setEf(shipped);
  }
}

import type { Embedder } from '../../ingest/embedder.ts';
import { dot } from './retrieve.ts';

/** Past this many cached words the cache starts over: it bounds memory on a huge vocabulary. */
const MAX_CACHED = 200_000;

/**
 * Vectors of single words from the same embedder, cached. They let a question term count as present when
 * the passage says it in other words ("incursion" / "invasion", "Kremlin" / "Putin"), which exact terms
 * and stems cannot see.
 */
export class WordVectors {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly embedder: Embedder) {}

  /** Embeds the words not seen yet, in one batch. */
  async ensure(words: Iterable<string>): Promise<void> {
    const missing = [...new Set(words)].filter((w) => !this.cache.has(w));
    if (missing.length === 0) return;
    if (this.cache.size + missing.length > MAX_CACHED) this.cache.clear();
    const vectors = await this.embedder.embed(missing);
    missing.forEach((w, i) => {
      this.cache.set(w, vectors[i] as Float32Array);
    });
  }

  /** Cosine similarity of two words already ensured (0 when either is unknown). */
  similarity(a: string, b: string): number {
    if (a === b) return 1;
    const va = this.cache.get(a);
    const vb = this.cache.get(b);
    return va && vb ? dot(va, vb) : 0;
  }
}

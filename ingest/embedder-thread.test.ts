import { describe, expect, inject, it } from 'vitest';
import { loadIndex } from '../store/generations.ts';
import { createThreadEmbedder } from './embedder-thread.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from './model/paths.ts';

// This file never loads the model in its own thread: onnxruntime-node runs in one thread per process.
describe('createThreadEmbedder', () => {
  it('rejects with the loader’s reason when the model is missing, and loads it once it is there', async () => {
    await expect(createThreadEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: '/nonexistent/models' })).rejects.toThrow(
      /not found in \/nonexistent\/models; build it with/,
    );
    const embedder = await createThreadEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
    expect(embedder.dimensions).toBe(100);
  });

  it('embeds exactly as the ingest that built the seeds index did', async () => {
    const index = await loadIndex(inject('seedsIndexDir'));
    const embedder = await createThreadEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
    expect(embedder.id).toBe(DEFAULT_MODEL_ID);
    expect(embedder.dimensions).toBe(index.manifest.model.dimensions);
    const sample = index.passages.slice(0, 100);
    // Two batches at once: each answer must come back to the request that asked, in order.
    const [first = [], second = []] = await Promise.all([
      embedder.embed(sample.slice(0, 70).map((p) => p.text)),
      embedder.embed(sample.slice(70).map((p) => p.text)),
    ]);
    const vectors = [...first, ...second];
    expect(vectors).toHaveLength(sample.length);
    vectors.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(index.vectors[i] as Float32Array)));
    expect(Array.from(await embedder.embedQuery(sample[3]?.text ?? ''))).toEqual(Array.from(vectors[3] as Float32Array));
    expect(await embedder.embed([])).toEqual([]);
  });
});

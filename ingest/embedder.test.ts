import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, DEFAULT_MODEL_ID, type Embedder, FootnoteEmbeddings } from './embedder.ts';
import { buildModel } from './model/build-model.ts';
import { MODELS_DIR } from './model/paths.ts';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
const norm = (v: Float32Array) => Math.sqrt(cosine(v, v));

let embedder: Embedder;

beforeAll(async () => {
  await buildModel();
  embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
}, 60_000);

describe('createEmbedder (default model)', () => {
  it('produces 100-dimensional unit vectors', async () => {
    expect(embedder.id).toBe(DEFAULT_MODEL_ID);
    expect(embedder.dimensions).toBe(100);
    const vectors = await embedder.embed(['Putin met Lukashenko in Moscow', 'Hello, world!', 'Moscow']);
    for (const vector of vectors) {
      expect(vector).toHaveLength(100);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
  });

  it('puts related sentences closer than unrelated ones', async () => {
    const [putin, paraphrase, recipe] = (await embedder.embed([
      'Putin met Lukashenko in Moscow',
      'The Russian president held talks with the Belarusian leader',
      'The recipe needs two cups of flour',
    ])) as [Float32Array, Float32Array, Float32Array];
    expect(cosine(putin, paraphrase)).toBeGreaterThan(cosine(putin, recipe) + 0.3);
  });

  it('maps spelling variants and accents close together', async () => {
    const [british, american, flour] = (await embedder.embed([
      'The organisation changed the colour of its logo',
      'The organization changed the color of its logo',
      'The recipe needs two cups of flour',
    ])) as [Float32Array, Float32Array, Float32Array];
    expect(cosine(british, american)).toBeGreaterThan(0.9);
    expect(cosine(british, american)).toBeGreaterThan(cosine(british, flour));

    const [accented, plain] = (await embedder.embed(['Café in Zürich', 'cafe in zurich'])) as [
      Float32Array,
      Float32Array,
    ];
    expect(cosine(accented, plain)).toBeCloseTo(1, 5);
  });

  it('returns finite zero vectors for empty or unknown-only text', async () => {
    const vectors = await embedder.embed(['', '   ', 'xqzzyv blorptastic', '\u0000']);
    vectors.push(await embedder.embedQuery(''));
    for (const vector of vectors) expect(Array.from(vector)).toEqual(new Array(100).fill(0));
  });

  it('embeds a text the same alone as in a padded batch', async () => {
    const texts = [
      'Short.',
      '',
      'A much longer sentence about the Belarusian leader and his talks in Moscow.',
    ];
    const batch = await embedder.embed(Array.from({ length: 70 }, (_, i) => texts[i % 3] as string));
    for (const [i, text] of texts.entries()) {
      const single = await embedder.embedQuery(text);
      expect(Array.from(batch[i] as Float32Array)).toEqual(Array.from(single));
      expect(Array.from(batch[i + 66] as Float32Array)).toEqual(Array.from(single));
    }
  });

  it('serves LangChain through FootnoteEmbeddings', async () => {
    const langchain = new FootnoteEmbeddings(embedder);
    const [document] = await langchain.embedDocuments(['Putin met Lukashenko in Moscow']);
    const query = await langchain.embedQuery('Putin met Lukashenko in Moscow');
    expect(document).toEqual(query);
    expect(query).toHaveLength(100);
  });

  it('names the build command when the default model is missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'footnote-models-'));
    try {
      await expect(createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: empty })).rejects.toThrow(
        /build-model\.ts/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModel, env, type FeatureExtractionPipeline, pipeline, Tensor } from '@huggingface/transformers';
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { BUILD_MODEL_COMMAND, DEFAULT_MODEL_ID } from './model/paths.ts';
import { WordTokenizer } from './model/word-tokenizer.ts';

export { DEFAULT_MODEL_ID };

export interface Embedder {
  id: string;
  dimensions: number;
  /** One unit-length vector per text (all zeros when a text has no known word). */
  embed(texts: string[]): Promise<Float32Array[]>;
  embedQuery(text: string): Promise<Float32Array>;
}

/** Loads an embedding model (in this thread, or in a thread of its own: `createThreadEmbedder`). */
export type EmbedderFactory = (opts: { modelId: string; modelsDir: string }) => Promise<Embedder>;

// The generic `pipeline` signature is too complex for tsc (TS2590); this is the one overload we use.
const featureExtraction = pipeline as unknown as (
  task: 'feature-extraction',
  model: string,
  options: { dtype: 'fp32' },
) => Promise<FeatureExtractionPipeline>;

/** Texts per model call: 32–128 measured equal (~14k sentences/s), 256+ slower (longer padded tensors). */
const BATCH_SIZE = 64;

/** Loads `modelId` from `modelsDir` (or, if it is not there, from the Hugging Face Hub) with transformers.js. */
export async function createEmbedder({
  modelId,
  modelsDir,
}: {
  modelId: string;
  modelsDir: string;
}): Promise<Embedder> {
  const local = existsSync(join(modelsDir, modelId, 'config.json'));
  if (!local && modelId === DEFAULT_MODEL_ID) {
    // It is built locally and not on the Hub, so don't even ask the network.
    throw new Error(
      `embedding model "${modelId}" not found in ${modelsDir}; build it with: ${BUILD_MODEL_COMMAND}`,
    );
  }
  env.localModelPath = modelsDir;
  env.allowLocalModels = true;
  // A local model must never fall back to the network; other ids (e.g. Xenova/all-MiniLM-L6-v2) may download.
  env.allowRemoteModels = !local;

  // The model `npm run build:model` builds is tokenized by Footnote's WordTokenizer (same ids, a fraction of
  // the load and tokenizing time); any other model by its transformers.js pipeline.
  const words = local ? await WordTokenizer.load(join(modelsDir, modelId)) : null;
  let run: (texts: string[]) => Promise<{ hidden: Tensor; mask: Tensor }>;
  try {
    if (words) {
      const model = await AutoModel.from_pretrained(modelId, { dtype: 'fp32' });
      run = async (texts) => {
        const { inputIds, attentionMask, length } = words.encode(texts);
        const dims = [texts.length, length];
        const mask = new Tensor('int64', attentionMask, dims);
        const out: { last_hidden_state: Tensor } = await model({ input_ids: new Tensor('int64', inputIds, dims), attention_mask: mask });
        return { hidden: out.last_hidden_state, mask };
      };
    } else {
      const extractor = await featureExtraction('feature-extraction', modelId, { dtype: 'fp32' });
      run = async (texts) => {
        const inputs: { attention_mask: Tensor } = extractor.tokenizer(texts, { padding: true, truncation: true });
        const out: { last_hidden_state: Tensor } = await extractor.model(inputs);
        return { hidden: out.last_hidden_state, mask: inputs.attention_mask };
      };
    }
  } catch (error) {
    const hint = loadHint(modelId, modelsDir, local);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot load embedding model "${modelId}" (${hint}): ${reason}`, { cause: error });
  }

  // Tokenizer, then model, with our pooling instead of the pipeline's `{ pooling: 'mean', normalize: true }`:
  // its mean_pooling converts the int64 mask once per dimension and took ~55% of the embedding time (10x our
  // loop), and its normalize turns the zero vector of a no-known-word text into NaN.
  const embedBatch = async (texts: string[]): Promise<Float32Array[]> => {
    const { hidden, mask } = await run(texts);
    return meanPoolNormalized(hidden, mask);
  };

  const embed = async (texts: string[]): Promise<Float32Array[]> => {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      vectors.push(...(await embedBatch(texts.slice(start, start + BATCH_SIZE))));
    }
    return vectors;
  };

  const [probe] = await embedBatch(['probe']);
  return {
    id: modelId,
    dimensions: probe?.length ?? 0,
    embed,
    embedQuery: async (text) => (await embedBatch([text]))[0] as Float32Array,
  };
}

function loadHint(modelId: string, modelsDir: string, local: boolean): string {
  if (!local) return `put it under ${join(modelsDir, modelId)} or make the Hugging Face Hub reachable`;
  if (modelId === DEFAULT_MODEL_ID) return `rebuild it with: ${BUILD_MODEL_COMMAND} --force`;
  return `check the files under ${join(modelsDir, modelId)}`;
}

/**
 * Per text, the unit-length mean of the token vectors its attention mask keeps (summing suffices: normalising
 * removes the 1/count). A text without tokens or known words gets the zero vector. Returns views of one buffer.
 */
function meanPoolNormalized(hidden: Tensor, mask: Tensor): Float32Array[] {
  const [batch = 0, length = 0, dimensions = 0] = hidden.dims;
  const states = hidden.data as Float32Array;
  const keep = mask.data as BigInt64Array;
  const pooled = new Float32Array(batch * dimensions);
  return Array.from({ length: batch }, (_, row) => {
    const vector = pooled.subarray(row * dimensions, (row + 1) * dimensions);
    for (let token = 0; token < length; token++) {
      if (!keep[row * length + token]) continue;
      const offset = (row * length + token) * dimensions;
      for (let d = 0; d < dimensions; d++) vector[d] = (vector[d] as number) + (states[offset + d] as number);
    }
    let sum = 0;
    for (const x of vector) sum += x * x;
    const norm = Math.sqrt(sum);
    if (norm > 0 && Number.isFinite(norm)) {
      for (let d = 0; d < dimensions; d++) vector[d] = (vector[d] as number) / norm;
    } else {
      vector.fill(0);
    }
    return vector;
  });
}

/**
 * LangChain adapter. Not @langchain/community's `HuggingFaceTransformersEmbeddings` on the same model: it fires all
 * batches at once, uses transformers.js pooling and `.tolist()`, ~3x slower (4.5k vs 14k sentences/s, 5,000 sentences).
 */
export class FootnoteEmbeddings extends Embeddings {
  constructor(
    private readonly embedder: Embedder,
    params: EmbeddingsParams = {},
  ) {
    super(params);
  }

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    return (await this.embedder.embed(texts)).map((vector) => Array.from(vector));
  }

  override async embedQuery(text: string): Promise<number[]> {
    return Array.from(await this.embedder.embedQuery(text));
  }
}

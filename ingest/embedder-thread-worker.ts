/**
 * Worker-thread entry of `createThreadEmbedder`: loads embedding models here and embeds what the owning
 * thread asks, so the server's event loop never spends a model's load (the default model's tokenizer
 * vocabulary alone is ≈0.4 s at start) or a query's embedding.
 */
import { parentPort } from 'node:worker_threads';
import { IngestEnvSchema, parseEnv } from './config.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { type FromEmbedderThread, modelKey, type ToEmbedderThread } from './embedder-thread.ts';

const port = parentPort;
if (!port) throw new Error('embedder-thread-worker.ts runs only as a worker thread');
const post = (m: FromEmbedderThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Loaded models by `modelsDir` and id; a failed load is forgotten, so a later request tries again. */
const models = new Map<string, Promise<Embedder>>();

function load(key: string): Promise<Embedder> {
  let model = models.get(key);
  if (!model) {
    model = createEmbedder(JSON.parse(key) as { modelId: string; modelsDir: string });
    models.set(key, model);
    model.catch(() => models.delete(key));
  }
  return model;
}

const none = (request: number): FromEmbedderThread => ({ request, ok: true, dimensions: 0, flat: new Float32Array(0) });

port.on('message', (m: ToEmbedderThread) => {
  if ('preload' in m) {
    // A configuration or load error is the asking thread's to report, when it asks for the model itself.
    let key: string;
    try {
      const env = parseEnv(IngestEnvSchema);
      key = modelKey({ modelId: env.EMBEDDING_MODEL, modelsDir: env.MODELS_DIR });
    } catch {
      return post(none(m.request));
    }
    const answer = () => post(none(m.request));
    return void load(key).then(answer, answer);
  }
  if (m.model === null) return post(none(m.request));
  load(m.model)
    .then(async (embedder) => {
      const vectors = await embedder.embed(m.texts);
      // One buffer for the batch, moved (not copied) to the owning thread.
      const flat = new Float32Array(vectors.length * embedder.dimensions);
      vectors.forEach((v, i) => flat.set(v, i * embedder.dimensions));
      post({ request: m.request, ok: true, dimensions: embedder.dimensions, flat }, [flat.buffer]);
    })
    .catch((err: unknown) => post({ request: m.request, ok: false, error: message(err) }));
});

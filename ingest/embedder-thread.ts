import { Worker } from 'node:worker_threads';
import type { Embedder, EmbedderFactory } from './embedder.ts';

/**
 * `model`: the JSON of createEmbedder's options (`modelKey`), the key the thread keeps a loaded model under;
 * null: a ping, answered with no vectors once the thread is listening (its imports done). `preload`: load the
 * model the environment configures (EMBEDDING_MODEL in MODELS_DIR), answered with no vectors once settled.
 */
export type ToEmbedderThread = { request: number; model: string | null; texts: string[] } | { request: number; preload: true };
export type FromEmbedderThread =
  | { request: number; ok: true; dimensions: number; flat: Float32Array }
  | { request: number; ok: false; error: string };

/**
 * The thread's entry: the TypeScript sources run through tsx (a boot file registers it in the thread); the
 * bundled server (`server/build.mjs`) has its own compiled entry beside its chunks.
 */
function workerEntry(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./embedder-thread-boot.mjs', import.meta.url)
    : new URL('./embedder-thread-worker.js', import.meta.url);
}

type Waiting = {
  resolve: (v: { dimensions: number; vectors: Float32Array[] }) => void;
  reject: (e: Error) => void;
  settled: Promise<unknown>;
};

/**
 * The process's one embedding thread, started on first use. One, not one per model: onnxruntime-node's
 * binding loads in a single thread of a process ("Module did not self-register" in a second one), so every
 * model of the process lives in it, and the process must not also load one with `createEmbedder`.
 * It does not keep the process alive, except while a request is pending.
 */
let thread: { worker: Worker; waiting: Map<number, Waiting> } | null = null;
let nextRequest = 0;

/** The key a model is kept and asked for under in the thread: the JSON of createEmbedder's options. */
export const modelKey = ({ modelId, modelsDir }: { modelId: string; modelsDir: string }) =>
  JSON.stringify({ modelId, modelsDir });

/**
 * Starts the process's embedding thread now, if not started yet. With `preload`, it loads the model the
 * environment configures as soon as its imports are done: the server asks for that model (or refuses to
 * start), and asking only once its own imports were done left the model's load on every cold start's path.
 */
export function startEmbeddingThread(opts: { preload?: boolean } = {}): void {
  embeddingThread();
  // Pending like any request, so a server that cannot start still waits for it (embeddingThreadSettled).
  if (opts.preload) send({ request: nextRequest++, preload: true }).catch(() => undefined);
}

function embeddingThread() {
  if (thread) return thread;
  const worker = new Worker(workerEntry());
  worker.unref();
  const waiting = new Map<number, Waiting>();
  const current = { worker, waiting };
  thread = current;
  const failAll = (err: Error) => {
    if (thread === current) thread = null;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (m: FromEmbedderThread) => {
    const w = waiting.get(m.request);
    waiting.delete(m.request);
    if (waiting.size === 0) worker.unref();
    if (!w) return;
    if (!m.ok) return w.reject(new Error(m.error));
    const { dimensions, flat } = m;
    const vectors = Array.from({ length: dimensions ? flat.length / dimensions : 0 }, (_, i) =>
      flat.subarray(i * dimensions, (i + 1) * dimensions),
    );
    w.resolve({ dimensions, vectors });
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the embedding thread exited (code ${code})`)));
  return current;
}

/**
 * Resolves once the embedding thread has nothing in flight: its imports done and every model load and
 * request settled (or `timeoutMs` passed). A process exiting while the thread is inside onnxruntime-node's
 * native set-up aborts ("terminate called after throwing an instance of 'Napi::Error'") instead of exiting
 * with its own code, so a server that cannot start waits for this first.
 */
export async function embeddingThreadSettled(timeoutMs: number): Promise<void> {
  if (!thread) return;
  const { waiting } = thread;
  const inFlight = [...waiting.values()].map((w) => w.settled);
  const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
  await Promise.race([Promise.allSettled([...inFlight, request(null, [])]), timer]);
}

function request(model: string | null, texts: string[]): Promise<{ dimensions: number; vectors: Float32Array[] }> {
  return send({ request: nextRequest++, model, texts });
}

function send(message: ToEmbedderThread): Promise<{ dimensions: number; vectors: Float32Array[] }> {
  const { worker, waiting } = embeddingThread();
  let resolve: Waiting['resolve'] = () => {};
  let reject: Waiting['reject'] = () => {};
  const answer = new Promise<{ dimensions: number; vectors: Float32Array[] }>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  waiting.set(message.request, { resolve, reject, settled: answer.catch(() => undefined) });
  worker.ref();
  worker.postMessage(message);
  return answer;
}

/**
 * `createEmbedder` in the process's embedding thread: the same model and vectors, loaded and run off the
 * caller's event loop. The server uses it, so that its start reads the index while the model loads on the
 * other core (100k passages: a quarter off the cold start) and no query's embedding holds up other requests.
 */
export const createThreadEmbedder: EmbedderFactory = async ({ modelId, modelsDir }) => {
  const model = modelKey({ modelId, modelsDir });
  // Loads the model (its errors are createEmbedder's) and learns its dimensions.
  const { dimensions } = await request(model, ['probe']);
  const embed = async (texts: string[]) => (texts.length ? (await request(model, texts)).vectors : []);
  return {
    id: modelId,
    dimensions,
    embed,
    embedQuery: async (text) => (await embed([text]))[0] as Float32Array,
  } satisfies Embedder;
};

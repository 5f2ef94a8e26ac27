/**
 * The server's entry. The embedding thread starts first: its own imports (transformers.js and
 * onnxruntime-node, ≈0.4 s) then overlap the server's (`start.ts`: configuration, index, HTTP), and the
 * model it will be asked for loads sooner (at 100k passages, the model was what a cold start waited for).
 */
import { startEmbeddingThread } from '../ingest/embedder-thread.ts';

startEmbeddingThread();
await import('./start.ts');

/**
 * The server's entry. The embedding thread starts first: its own imports (transformers.js and
 * onnxruntime-node, ≈0.7 s) and then the configured model's load overlap the server's imports (`start.ts`:
 * configuration, index, HTTP, ≈1.2 s), so the model is ready when the index is.
 */
import { startEmbeddingThread } from '../ingest/embedder-thread.ts';

startEmbeddingThread({ preload: true });
await import('./start.ts');

// Worker threads don't inherit tsx's loader on Node 20: register it here, then load the TypeScript entry.
// (The bundled server starts dist/server/embedder-thread-worker.js instead, see embedder-thread.ts.)
import { register } from 'tsx/esm/api';

register();
await import('./embedder-thread-worker.ts');

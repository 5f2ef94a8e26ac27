// Worker threads don't inherit tsx's loader on Node 20: register it here, then load the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./ingest-thread-worker.ts');

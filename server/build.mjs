// Bundles the server for `npm run serve` with esbuild, the compiler tsx runs on: a process that starts from
// one bundle skips tsx's per-module loader round trips (≈0.5 s of every cold start, measured in the README).
// Packages stay external; dynamic imports (LangChain for LLM mode, pdf.js) stay lazy as separate chunks.
// Source maps are written beside the bundle: `NODE_OPTIONS=--enable-source-maps npm run serve` gives stack
// traces in the TypeScript sources (off by default: reading them costs ≈0.1–0.2 s of a cold start).
import { build } from 'esbuild';

await build({
  // The embedding thread's entry is compiled beside the chunks it shares with the server (ingest/embedder-thread.ts).
  entryPoints: { main: 'server/main.ts', 'embedder-thread-worker': 'ingest/embedder-thread-worker.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir: 'dist/server',
  sourcemap: 'linked',
  logLevel: 'warning',
});

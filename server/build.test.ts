import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { run, startServer } from '../test/helpers.ts';

describe('the server bundle `npm run serve` starts', () => {
  it('builds, then answers from dist/server with the weights, model and index found from there', async () => {
    const built = await run(['server/build.mjs'], {}, 60_000);
    expect(built.code, built.stderr).toBe(0);
    const server = await startServer({ INDEX_DIR: inject('seedsIndexDir'), INDEX_WATCH: 'false' }, 30_000, 'dist/server/main.js');
    try {
      const res = await fetch(`${server.url}/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: 'How many rounds of negotiations took place in Belarus?' }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { answer: string; citations: Array<{ text: string }> };
      expect(body.answer).toContain('three rounds');
      expect(body.citations.length).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it('loads neither the model nor LangChain or pg on the event loop at start', () => {
    // The packages a start from dist/server/main.js imports before it serves, walked in the bundle.
    const packagesOf = (entry: string) => {
      const seen = new Set<string>();
      const packages = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const code = readFileSync(file, 'utf8');
        // Static imports, and the entry's import of the server (`start.ts`); other dynamic imports are lazy.
        const specs = [
          ...[...code.matchAll(/^(?:import|export)\b[^;]*?(?:from\s*)?"([^"]+)";?$/gms)].map((m) => m[1] as string),
          ...[...code.matchAll(/import\("(\.\/start-[^"]+)"\)/g)].map((m) => m[1] as string),
        ];
        for (const spec of specs) {
          if (spec.startsWith('./')) visit(path.join(path.dirname(file), spec));
          else if (!spec.startsWith('node:')) packages.add(spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
        }
      };
      visit(entry);
      return packages;
    };
    const server = packagesOf('dist/server/main.js');
    expect(server).toContain('hono');
    for (const lazy of ['@huggingface/transformers', 'onnxruntime-node', '@langchain/community', '@langchain/core', 'pg']) {
      expect(server).not.toContain(lazy);
    }
    // The model loads in the embedding thread (ingest/embedder-thread.ts), from its own entry.
    expect(packagesOf('dist/server/embedder-thread-worker.js')).toContain('@huggingface/transformers');
  });
});

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
});

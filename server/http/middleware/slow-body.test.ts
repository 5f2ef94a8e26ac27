import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, rawConnection, startServer } from '../../../test/helpers.ts';
import { createApp } from '../app.ts';
import { type Engine, loadEngine } from '../../qa/index.ts';

let server: RunningServer;
beforeAll(async () => {
  // The answer timeout is shorter than the request timeout, as with the defaults (15 s and 30 s).
  server = await startServer({
    INDEX_DIR: inject('seedsIndexDir'),
    REQUEST_TIMEOUT_MS: '2500',
    HANDLER_TIMEOUT_MS: '800',
    RATE_LIMIT_PER_MINUTE: '0',
  });
});
afterAll(async () => {
  await server?.stop();
});

/** Sends the head of a POST, then its body a byte every 200 ms, never finishing; resolves with the reply. */
async function slowPost(route: string) {
  const { socket, closed } = await rawConnection(server.url);
  socket.write(
    `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{`,
  );
  const drip = setInterval(() => socket.write(' '), 200);
  try {
    return await closed;
  } finally {
    clearInterval(drip);
  }
}

describe('a body that arrives slowly', () => {
  it.each(['/ask', '/v1/chat/completions'])(
    'POST %s: 408 request_timeout as documented, not the answer timeout',
    async (route) => {
      const res = await slowPost(route);
      expect(res.status).toBe(408);
      expect(res.text).toContain('request_timeout');
    },
  );

  it('an answer that is slow once its body has arrived still gets 503 timeout', async () => {
    const engine = await loadEngine({ indexDir: inject('seedsIndexDir') });
    const slow = { ...engine, ask: () => new Promise(() => {}) } as unknown as Engine;
    const app = createApp({ state: () => ({ engine: slow, status: 'ok' }), handlerTimeoutMs: 100 });
    const res = await app.request('/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'What did Lukashenko say about peace talks?' }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('timeout');
  });
});

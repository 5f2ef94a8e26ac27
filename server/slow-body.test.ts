import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, rawConnection, startServer } from '../test/helpers.ts';

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

  it('the answer timeout still counts from when the question has arrived', async () => {
    const res = await fetch(`${server.url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'What did Lukashenko say about peace talks?' }),
    });
    expect(res.status).toBe(200);
  });
});

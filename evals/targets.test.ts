import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpTarget } from './targets.ts';

const ANSWER = {
  answer: 'The articles don\u2019t say.',
  abstained: true,
  citations: [],
  timings: { retrieveMs: 1, answerMs: 1, totalMs: 2 },
};

let server: Server | null = null;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(null));
  server = null;
});

/** A server answering /ask with `replies` in turn (the last one repeats), recording each request. */
async function fakeServer(replies: Array<{ status: number; headers?: Record<string, string> }>) {
  const seen: Array<{ url: string; authorization?: string }> = [];
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)] as (typeof replies)[number];
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(
      JSON.stringify(
        reply.status === 200 ? ANSWER : { error: { code: 'rate_limited', message: 'slow down' } },
      ),
    );
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('the HTTP eval target and 429', () => {
  it('waits the Retry-After seconds the server asks for, then retries', async () => {
    const { url, seen } = await fakeServer([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
    const waits: number[] = [];
    const target = httpTarget(url, { sleep: async (ms) => void waits.push(ms) });
    expect(await target.ask({ question: 'Who?' })).toEqual(ANSWER);
    expect(waits).toEqual([3000, 1000]);
    expect(seen).toHaveLength(3);
  });

  it('gives up after a bounded number of retries, with the status in the error', async () => {
    const { url, seen } = await fakeServer([{ status: 429, headers: { 'retry-after': '600' } }]);
    const waits: number[] = [];
    const target = httpTarget(url, { sleep: async (ms) => void waits.push(ms) });
    await expect(target.ask({ question: 'Who?' })).rejects.toThrow(/429/);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThanOrEqual(6);
    // Each wait is capped, so a server asking for ten minutes does not stall the run that long.
    for (const ms of waits) expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('sends FOOTNOTE_API_TOKEN as a bearer token when given one', async () => {
    const { url, seen } = await fakeServer([{ status: 200 }]);
    await httpTarget(url, { token: 'sesame-0123456789' }).ask({ question: 'Who?' });
    expect(seen[0]?.authorization).toBe('Bearer sesame-0123456789');
  });
});

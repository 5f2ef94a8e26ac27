import { gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { Engine } from '../../qa/index.ts';
import { versionReferences } from './static.ts';

/** The UI's files: compressed, validated with ETags, cached for good under a version query. */

const app = createApp({ state: () => ({ engine: null, status: 'loading' }), webDir: 'web' });
const gzip = { 'accept-encoding': 'gzip, deflate, br' };

describe('static files', () => {
  it('versions every asset reference of the page and of the modules', async () => {
    const page = await (await app.request('/')).text();
    const version = /app\.js\?v=([\w-]+)/.exec(page)?.[1];
    expect(version).toBeTruthy();
    expect(page).toContain(`href="styles.css?v=${version}"`);
    const js = await (await app.request(`/app.js?v=${version}`)).text();
    expect(js).toContain(`from './api.js?v=${version}'`);
    expect(js).not.toMatch(/from '\.\/[\w-]+\.js'/);
    expect(versionReferences(`/** @typedef {import('./api.js').X} X */ import { a } from "./a.js";`, 'js', 'V')).toBe(
      `/** @typedef {import('./api.js').X} X */ import { a } from "./a.js?v=V";`,
    );
  });

  it('caches versioned assets for a year, revalidates pages and unversioned URLs', async () => {
    const page = await app.request('/');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const version = /app\.js\?v=([\w-]+)/.exec(await page.text())?.[1];
    const versioned = await app.request(`/styles.css?v=${version}`);
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await app.request('/styles.css')).headers.get('cache-control')).toBe('no-cache');
    expect((await app.request('/styles.css?v=old')).headers.get('cache-control')).toBe('no-cache');
  });

  it('gzips text files and answers 304 to a matching If-None-Match', async () => {
    const plain = await app.request('/app.js');
    const body = await plain.text();
    const tag = plain.headers.get('etag');
    expect(tag).toMatch(/^"[^"]+"$/);

    const zipped = await app.request('/app.js', { headers: gzip });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(zipped.headers.get('etag')).toBe(`W/${tag}`);
    const bytes = Buffer.from(await zipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(body.length / 2);
    expect(gunzipSync(bytes).toString()).toBe(body);

    for (const inm of [tag ?? '', `W/${tag}`]) {
      const again = await app.request('/app.js', { headers: { ...gzip, 'if-none-match': inm } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    }
  });

  it('gzips JSON responses', async () => {
    const res = await app.request('/openapi.json', { headers: gzip });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('content-encoding')).toBe('gzip');
  });
});

describe('/ask when the client goes away', () => {
  it('streams uncompressed SSE, and abandons an answer whose client left', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          lines.push(line);
        },
      },
    );
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = 0;
    let entered: () => void = () => {};
    const askEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const answer = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');
    const engine = {
      ask: async () => {
        asked++;
        entered();
        await gate;
        return { answer, abstained: false, citations: [], timings: { retrieveMs: 0, answerMs: 0, totalMs: 0 }, abstainReason: null };
      },
    } as unknown as Engine;
    const sseApp = createApp({ state: () => ({ engine, status: 'ok' }), logger });
    const server = serve({ fetch: sseApp.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const socketClosed = new Promise<void>((resolve) =>
      server.once('connection', (socket) => socket.once('close', () => resolve())),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ask`;
    try {
      const controller = new AbortController();
      const pending = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...gzip },
        body: JSON.stringify({ question: 'anything?' }),
        signal: controller.signal,
      });
      const res = await pending;
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      expect(res.headers.get('content-encoding')).toBeNull();
      await askEntered;
      controller.abort();
      await socketClosed;
      release();
      await expect.poll(() => lines.some((l) => l.includes('answer abandoned'))).toBe(true);
      expect(asked).toBe(1);
    } finally {
      release();
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, readFile, realpath, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbedder, type Embedder } from '../ingest/embedder.ts';
import { FILES } from '../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingest } from '../ingest/pipeline.ts';
import type { AskResult } from './qa/index.ts';
import {
  freePort,
  type RunningServer,
  type RawResponse,
  rawConnection,
  run,
  seedsWorkspace,
  startServer,
  type Workspace,
} from '../test/helpers.ts';

const TOKEN = 'resilience-test-token-0123456789';
const FACT_FILE = 'puffins.txt';
const FACT =
  'Puffin count at Port Zembla\n\nThe lighthouse keeper of Port Zembla counted 4,711 puffins on the northern cliffs in March.\n';
const FACT_Q = 'How many puffins did the lighthouse keeper of Port Zembla count?';
const SEEDS_Q = 'What did Lukashenko say about peace talks?';

type Answer = Pick<AskResult, 'answer' | 'abstained' | 'citations'>;

/** Publishes the index of `ws`'s corpus the way `npm run ingest` does (new generation, atomic link swap). */
const publish = (ws: Workspace, embedder: Embedder) =>
  ingest({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, embedder, maxBytes: 5 * 1024 * 1024 });

/** Points the index link at a copy of the current generation with `damage` applied: a bad publish. */
async function publishDamagedCopy(indexDir: string, damage: (dir: string) => Promise<void>): Promise<string> {
  const good = await realpath(indexDir);
  const bad = `${good}-damaged-${randomBytes(3).toString('hex')}`;
  await cp(good, bad, { recursive: true });
  await damage(bad);
  await swapLink(indexDir, bad);
  return good;
}

async function swapLink(indexDir: string, target: string): Promise<void> {
  const tmp = `${indexDir}.tmp-link`;
  await symlink(path.relative(path.dirname(indexDir), target), tmp);
  await rename(tmp, indexDir);
}

async function flipBytes(file: string): Promise<void> {
  const bytes = await readFile(file);
  for (let i = 64; i < bytes.length; i += 97) bytes[i] = (bytes[i] as number) ^ 0xff;
  await writeFile(file, bytes);
}

describe('a server that cannot serve refuses to start with one line saying what to run (exit 2)', () => {
  const inGeneration = (indexDir: string, file: string) => realpath(indexDir).then((d) => path.join(d, file));
  const cases: Array<[string, (ws: Workspace) => Promise<Record<string, string> | undefined>, RegExp]> = [
    [
      'missing index',
      async (ws) => {
        await rm(ws.indexDir);
        return undefined;
      },
      /^footnote: no index at .*index: run npm run ingest to build it$/,
    ],
    [
      'manifest that is not JSON',
      async (ws) => {
        await writeFile(await inGeneration(ws.indexDir, FILES.manifest), '{"formatVersion": 1, "mod');
        return undefined;
      },
      /^footnote: manifest\.json in .* is corrupt: run npm run ingest to rebuild the index$/,
    ],
    [
      'manifest naming another embedding model',
      async (ws) => {
        const file = await inGeneration(ws.indexDir, FILES.manifest);
        const manifest = JSON.parse(await readFile(file, 'utf8'));
        manifest.model.id = 'Xenova/all-MiniLM-L6-v2';
        await writeFile(file, JSON.stringify(manifest));
        return undefined;
      },
      /^footnote: index built with Xenova\/all-MiniLM-L6-v2, server configured with footnote\/glove-sif-100d: run npm run ingest/,
    ],
    [
      'EMBEDDING_MODEL other than the index model',
      async () => ({ EMBEDDING_MODEL: 'Xenova/all-MiniLM-L6-v2' }),
      /^footnote: index built with footnote\/glove-sif-100d, server configured with Xenova\/all-MiniLM-L6-v2: run npm run ingest/,
    ],
    [
      // The embedding thread starts loading the configured model before the server has read its settings.
      'MODELS_DIR without the model',
      async (ws) => ({ MODELS_DIR: path.join(ws.root, 'no-models') }),
      /^footnote: embedding model "footnote\/glove-sif-100d" not found in .*no-models; build it with/,
    ],
    [
      'truncated passages.bin',
      async (ws) => {
        const file = await inGeneration(ws.indexDir, FILES.passageTable);
        await truncate(file, Math.floor((await readFile(file)).length / 2));
        return undefined;
      },
      /^footnote: passages\.bin in .* is truncated: run npm run ingest/,
    ],
    [
      'missing documents.jsonl',
      async (ws) => {
        await rm(await inGeneration(ws.indexDir, FILES.documents));
        return undefined;
      },
      /^footnote: index file documents\.jsonl is missing in .*: run npm run ingest/,
    ],
    [
      'truncated vectors.f32',
      async (ws) => {
        await truncate(await inGeneration(ws.indexDir, FILES.vectors), 1000);
        return undefined;
      },
      /^footnote: vectors\.f32 in .* is truncated: run npm run ingest/,
    ],
    [
      // Flipped bytes used to reach the native HNSW reader and crash the process with a segfault.
      'hnsw.bin with flipped bytes',
      async (ws) => {
        await flipBytes(await inGeneration(ws.indexDir, FILES.hnsw));
        return undefined;
      },
      /^footnote: hnsw\.bin in .* is corrupt: run npm run ingest/,
    ],
    [
      'empty hnsw.bin',
      async (ws) => {
        await truncate(await inGeneration(ws.indexDir, FILES.hnsw), 0);
        return undefined;
      },
      /^footnote: hnsw\.bin in .* is truncated: run npm run ingest/,
    ],
  ];

  it.concurrent.each(cases)('%s', async (_, damage, line) => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const env = (await damage(ws)) ?? {};
    const r = await run(['server/main.ts'], { INDEX_DIR: ws.indexDir, PORT: '0', ...env }, 30_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(line);
    expect(r.stdout).toBe('');
  });

  it('port already in use', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    try {
      const r = await run(
        ['server/main.ts'],
        { INDEX_DIR: inject('seedsIndexDir'), PORT: String(port) },
        30_000,
      );
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`footnote: port ${port} on 127.0.0.1 is in use; set PORT to another port`);
    } finally {
      blocker.close();
    }
  });
});

const REQUEST_TIMEOUT = 5000;
const HEADERS_TIMEOUT = 2500;

describe('a running server keeps answering while its index changes', () => {
  let ws: Workspace;
  let server: RunningServer;
  let embedder: Embedder;
  const admin = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    ws = await seedsWorkspace(inject('seedsIndexDir'));
    [server, embedder] = await Promise.all([
      startServer({
        INDEX_DIR: ws.indexDir,
        FOOTNOTE_ADMIN_TOKEN: TOKEN,
        RATE_LIMIT_PER_MINUTE: '0',
        // Long enough that an answer slowed by a busy CI machine (index reloads, parallel test files) is
        // not cut off as an idle socket; short enough for the slow-client tests below.
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT),
        HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT),
      }),
      createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR }),
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const ask = async (question: string, stream = false): Promise<{ status: number; body: Answer }> => {
    const res = await fetch(`${server.url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(stream ? { accept: 'text/event-stream' } : {}) },
      body: JSON.stringify({ question }),
    });
    const text = await res.text();
    if (!stream || res.status !== 200) return { status: res.status, body: JSON.parse(text) };
    const done = /event: done\ndata: (.*)/.exec(text)?.[1];
    return { status: done ? 200 : 599, body: done ? JSON.parse(done) : { answer: text } };
  };
  const health = async () =>
    (await (await fetch(`${server.url}/health`)).json()) as {
      documents: number;
      lastReload?: { ok: boolean; error?: string };
    };

  it('loads an index that `npm run ingest` publishes, by itself (INDEX_WATCH)', async () => {
    const from = server.output().length;
    await writeFile(path.join(ws.corpusDir, FACT_FILE), FACT);
    await publish(ws, embedder);
    await server.waitForOutput(/"documents":6,.*"msg":"index loaded"/, from);
    const { body } = await ask(FACT_Q);
    expect(body.abstained).toBe(false);
    expect(body.citations[0]?.docId).toBe('puffins');
    expect(body.answer).toContain('4,711');
  });

  it('swaps indexes under load (watch, POST /admin/reload, SIGHUP): no request fails or mixes two', async () => {
    const seedsText = (docId: string) => readFileSync(path.join('seeds', `${docId}.txt`), 'utf8');
    const results: Array<{ status: number; body: Answer }> = [];
    let stop = false;
    const client = async (i: number) => {
      for (let n = 0; !stop; n++) results.push(await ask(n % 2 ? SEEDS_Q : FACT_Q, i % 2 === 1));
    };
    const answersFact = (r: { body: Answer }) => r.body.citations.some((c) => c.docId === 'puffins');
    const abstainsOnFact = (r: { body: Answer }) => r.body.abstained && /puffins/i.test(r.body.answer);
    // Each index is served before the next swap: waits for an answer only it gives, however slow the machine.
    const servedAfter = (from: number, only: (r: { body: Answer }) => boolean) =>
      expect.poll(() => results.slice(from).some(only), { timeout: 30_000 }).toBe(true);
    const clients = [0, 1, 2, 3].map(client);
    for (let round = 0; round < 3; round++) {
      await rm(path.join(ws.corpusDir, FACT_FILE));
      await publish(ws, embedder);
      const reload = await fetch(`${server.url}/admin/reload`, { method: 'POST', headers: admin });
      expect(reload.status).toBe(200);
      await servedAfter(results.length, abstainsOnFact);
      await writeFile(path.join(ws.corpusDir, FACT_FILE), FACT);
      await publish(ws, embedder);
      server.child.kill('SIGHUP');
      await servedAfter(results.length, answersFact);
    }
    // Under load means many requests around the swaps, however long they take to answer.
    await expect.poll(() => results.length, { timeout: 30_000 }).toBeGreaterThan(50);
    stop = true;
    await Promise.all(clients);

    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    for (const { body } of results) {
      for (const c of body.citations) {
        const text = c.docId === 'puffins' ? FACT : seedsText(c.docId);
        expect(c.text).toBe(text.slice(c.start, c.end));
      }
    }
    // The last publish is the one served in the end (a watch reload may still be finishing).
    await expect.poll(async () => (await health()).documents, { timeout: 30_000 }).toBe(6);
  });

  const badPublishes: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'hnsw.bin with flipped bytes',
      () => publishDamagedCopy(ws.indexDir, (dir) => flipBytes(path.join(dir, FILES.hnsw))),
      /hnsw\.bin in .* is corrupt: run npm run ingest/,
    ],
    [
      'a manifest naming another model',
      () =>
        publishDamagedCopy(ws.indexDir, async (dir) => {
          const manifest = JSON.parse(await readFile(path.join(dir, FILES.manifest), 'utf8'));
          manifest.model.id = 'Xenova/all-MiniLM-L6-v2';
          await writeFile(path.join(dir, FILES.manifest), JSON.stringify(manifest));
        }),
      /index built with Xenova\/all-MiniLM-L6-v2, server configured with footnote\/glove-sif-100d/,
    ],
    [
      'the index link removed',
      async () => {
        const good = await realpath(ws.indexDir);
        await rm(ws.indexDir);
        return good;
      },
      /no index at .*: run npm run ingest/,
    ],
  ];
  it.each(badPublishes)(
    'after %s, a reload fails, the previous index keeps serving, /health says so',
    async (_, damage, reason) => {
      const good = await damage();
      const reload = await fetch(`${server.url}/admin/reload`, { method: 'POST', headers: admin });
      expect(reload.status).toBe(500);
      const error = ((await reload.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('reload_failed');
      expect(error.message).toMatch(/^still serving the previous index; /);
      expect(error.message).toMatch(reason);

      const answer = await ask(FACT_Q);
      expect(answer.status).toBe(200);
      expect(answer.body.answer).toContain('4,711');
      const res = await fetch(`${server.url}/health`);
      expect(res.status).toBe(200);
      const h = (await res.json()) as {
        documents: number;
        message: string;
        lastReload: { ok: boolean; error: string };
      };
      expect(h.documents).toBe(6);
      expect(h.message).toMatch(/last reload failed/);
      expect(h.lastReload).toMatchObject({ ok: false, error: expect.stringMatching(reason) });

      await swapLink(ws.indexDir, good);
      expect((await fetch(`${server.url}/admin/reload`, { method: 'POST', headers: admin })).status).toBe(
        200,
      );
      expect((await health()).lastReload?.ok).toBe(true);
    },
  );

  /** The server's own answer to a request cut off by REQUEST_TIMEOUT_MS or HEADERS_TIMEOUT_MS. */
  const expectRequestTimeout = (res: RawResponse) => {
    expect(res.status).toBe(408);
    expect(JSON.parse(res.text.slice(res.text.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'request_timeout' },
    });
  };

  it('a client sending its body a byte a second gets 408 and does not hold the server', async () => {
    const { socket, closed } = await rawConnection(server.url);
    let cutOff = false;
    void closed.then(() => {
      cutOff = true;
    });
    socket.write(
      'POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    // 99 more bytes at one a second: only the server's timeout ends this request.
    const drip = setInterval(() => socket.write(' '), 1000);
    try {
      expect((await ask(SEEDS_Q)).status).toBe(200);
      // Answered while the slow request was still open: it does not hold the server.
      expect(cutOff).toBe(false);
      for (let i = 0; i < 4; i++) expect((await ask(SEEDS_Q)).status).toBe(200);
      expectRequestTimeout(await closed);
    } finally {
      clearInterval(drip);
    }
  });

  it('a client sending its headers a byte a second is cut off', async () => {
    const { socket, closed } = await rawConnection(server.url);
    // Headers that never end: only the server's timeout ends this request.
    const head = 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaa';
    let i = 0;
    const drip = setInterval(() => socket.write(head[i++ % head.length] as string), 1000);
    try {
      expect((await ask(SEEDS_Q)).status).toBe(200);
      expectRequestTimeout(await closed);
    } finally {
      clearInterval(drip);
    }
  });

  it('clients that never read their SSE stream do not hold the server', async () => {
    const body = JSON.stringify({ question: SEEDS_Q });
    const stalled = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const { socket } = await rawConnection(server.url);
        socket.pause();
        socket.write(
          `POST /ask HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        return socket;
      }),
    );
    try {
      for (let i = 0; i < 10; i++) expect((await ask(SEEDS_Q, true)).status).toBe(200);
    } finally {
      for (const s of stalled) s.destroy();
    }
  });
});

describe('graceful shutdown on SIGTERM', () => {
  const body = JSON.stringify({ question: SEEDS_Q });
  /** A request the server has begun (its `100 Continue` came back) whose body is not all sent. */
  const startRequest = async (server: RunningServer) => {
    const conn = await rawConnection(server.url);
    conn.socket.write(
      `POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await conn.received(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    return conn;
  };

  it('lets the request in flight finish, refuses new connections, and exits 0', async () => {
    const server = await startServer({ INDEX_DIR: inject('seedsIndexDir'), SHUTDOWN_TIMEOUT_MS: '5000' });
    const { socket, closed } = await startRequest(server);
    const from = server.output().length;
    const exited = server.stop('SIGTERM');
    // The server stops listening right after logging this; a fetch then has nothing to connect to.
    await server.waitForOutput(/"msg":"shutting down"/, from);
    await expect
      .poll(() => fetch(`${server.url}/health`).then(() => 'answered', () => 'refused'), { timeout: 30_000 })
      .toBe('refused');
    socket.write(body.slice(10));
    const res = await closed;
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^connection: close/im);
    expect(res.text).toMatch(/Lukashenk[oa]/);
    expect(await exited).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  });

  it('exits 1 at SHUTDOWN_TIMEOUT_MS when a request never finishes', async () => {
    const server = await startServer({ INDEX_DIR: inject('seedsIndexDir'), SHUTDOWN_TIMEOUT_MS: '1500' });
    const { closed } = await startRequest(server);
    const code = await server.stop('SIGTERM');
    expect(code).toBe(1);
    // In this order: shutdown began, the deadline passed with the request still open, the process went
    // away without ever answering it.
    const out = server.output();
    const began = out.indexOf('"msg":"shutting down"');
    expect(began).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('requests still running at the shutdown deadline')).toBeGreaterThan(began);
    expect(out).not.toMatch(/"msg":"stopped"/);
    expect((await closed).status).toBeNull();
  });
});

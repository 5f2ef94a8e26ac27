import { mkdtemp, readFile, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbedder } from '../../ingest/embedder.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../../ingest/model/paths.ts';
import { type DevDatabase, startDevDatabase } from '../../store/postgres/dev-db.ts';
import { migrate } from '../../store/postgres/migrations.ts';
import { IndexError } from '../../store/generations.ts';
import { currentGeneration, loadGeneration, openStore, publishFromFiles } from '../../store/postgres/store.ts';
import { freePort, type RunningServer, run, seedsWorkspace, startServer, until, type Workspace } from '../../test/helpers.ts';
import { Relay } from '../../test/relay.ts';
import type { AskResult } from '../qa/index.ts';

// FOOTNOTE_STORE=postgres end to end, over the real Postgres wire protocol: PGlite + pgvector served by
// pglite-socket on a free loopback port, reached by the servers with the `pg` driver (no mocks).

let db: DevDatabase;
let pool: pg.Pool;
let relay: Relay;
let relayUrl: string;
let ws: Workspace;
const servers: RunningServer[] = [];

const serverEnv = () => ({
  FOOTNOTE_STORE: 'postgres',
  DATABASE_URL: relayUrl,
  // Frequent checks: the lost database is noticed at once (NOTIFY carries publishes: pg-documents.test.ts).
  FOOTNOTE_PG_POLL_MS: '100',
  RATE_LIMIT_PER_MINUTE: '0',
  // No files index at all: whatever the server answers comes from Postgres.
  INDEX_DIR: path.join(ws.root, 'no-index-here'),
  LOG_LEVEL: 'warn',
});


beforeAll(async () => {
  db = await startDevDatabase();
  const target = new URL(db.url);
  relay = new Relay(await freePort(), { host: target.hostname, port: Number(target.port) });
  await relay.up();
  relayUrl = `postgres://postgres@127.0.0.1:${relay.port}/postgres`;
  ws = await seedsWorkspace(inject('seedsIndexDir'));
  pool = await openStore(db.url);
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  await publishFromFiles(pool, await realpath(ws.indexDir), embedder);
  servers.push(await startServer(serverEnv()));
});

afterAll(async () => {
  await Promise.all([...servers, ...(filesServer ? [filesServer] : [])].map((s) => s.stop()));
  await pool?.end();
  await relay?.down();
  await db?.stop();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function expectVerbatim(url: string, r: AskResult) {
  for (const c of r.citations) {
    const doc = (await (await fetch(`${url}/documents/${c.docId}`)).json()) as { text: string };
    expect(c.text).toBe(doc.text.slice(c.start, c.end));
    expect(c.text).toBe((await readFile(c.source, 'utf8')).slice(c.start, c.end));
    expect(c.text).toContain(c.quote);
  }
  if (!r.abstained) {
    const markers = new Set([...r.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect(new Set(r.citations.map((c) => c.marker))).toEqual(markers);
  }
}

describe('FOOTNOTE_STORE=postgres', () => {
  it('migrations are versioned and idempotent', async () => {
    expect(await migrate(pool)).toEqual([]);
    const { rows } = await pool.query('SELECT version FROM footnote_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('keeps the /ask contract: JSON, GET, SSE, abstention, documents', async () => {
    const url = servers[0]?.url as string;
    const health = (await (await fetch(`${url}/health`)).json()) as { documents: number; passages: number };
    expect(health.documents).toBe(5);
    const body = (await (await post(url, { question: 'Where were the ceasefire talks due to take place?' })).json()) as AskResult;
    expect(body.abstained).toBe(false);
    expect(body.answer).toContain('Doha');
    await expectVerbatim(url, body);

    const get = (await (await fetch(`${url}/ask?q=${encodeURIComponent('Who is Hanna Liubakova?')}`)).json()) as AskResult;
    await expectVerbatim(url, get);
    expect(get.citations.length).toBeGreaterThan(0);

    const abstained = (await (await post(url, { question: 'What is the population of Belarus?' })).json()) as AskResult;
    expect(abstained.abstained).toBe(true);
    expect(abstained.answer).toBe("The documents don't say: none of them mentions “population”.");

    const res = await post(
      url,
      { question: 'How many troops did Ukraine deploy along the border with Belarus?' },
      { accept: 'text/event-stream' },
    );
    const events = (await res.text())
      .split('\n\n')
      .filter((b) => b.trim())
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') }));
    expect(events[0]?.event).toBe('citations');
    const done = events.at(-1)?.data as AskResult;
    expect(events.at(-1)?.event).toBe('done');
    expect(done.answer).toContain('120,000');

    const list = (await (await fetch(`${url}/documents`)).json()) as { documents: Array<{ id: string }> } | Array<{ id: string }>;
    expect(JSON.stringify(list)).toContain('004_ec9c24d3208588b7');
    expect((await fetch(`${url}/documents/nope`)).status).toBe(404);
  });

  it('gives the same eval report as the files store on the seeds', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'footnote-pg-eval-'));
    const evalRun = (args: string[]) => run(['evals/run.ts', ...args], { INDEX_DIR: inject('seedsIndexDir') });
    await evalRun(['--out', path.join(out, 'files'), '--url', await filesServerUrl()]);
    await filesServer?.stop();
    await evalRun(['--out', path.join(out, 'postgres'), '--url', servers[0]?.url as string]);
    const summary = async (dir: string) =>
      (JSON.parse(await readFile(path.join(out, dir, 'report.json'), 'utf8')) as { summary: Record<string, { value: number | null }> })
        .summary;
    const files = await summary('files');
    const postgres = await summary('postgres');
    const keys = Object.keys(files).filter((k) => k !== 'latencyP50Ms' && typeof files[k]?.value === 'number');
    expect(keys.length).toBeGreaterThan(3);
    for (const k of keys) expect(postgres[k]?.value, k).toBeCloseTo(files[k]?.value as number, 3);
  });

  it('two servers on one database: an ingest is served by both, no request fails during the switch', async () => {
    servers.push(await startServer(serverEnv()));
    const [a, b] = servers as [RunningServer, RunningServer];
    const before = await currentGeneration(pool);
    await writeFile(
      path.join(ws.corpusDir, 'harbour-2031.md'),
      '# Harbour report\n\nThe harbour of Tallinn handled 812 ships in May, a record for the port.\n',
    );
    let stop = false;
    const failures: string[] = [];
    let served = 0;
    const load = [a, b].flatMap((s) =>
      [0, 1].map(async () => {
        while (!stop) {
          const r = await post(s.url, { question: 'Where were the ceasefire talks due to take place?' }).catch((e: Error) => e);
          if (r instanceof Error) failures.push(r.message);
          else if (r.status !== 200) failures.push(`${r.status} ${await r.text()}`);
          else {
            served++;
            await r.body?.cancel().catch(() => {});
          }
        }
      }),
    );
    const ingest = await run(['ingest/main.ts', '--dir', ws.corpusDir, '--index-dir', ws.indexDir], {
      FOOTNOTE_STORE: 'postgres',
      DATABASE_URL: db.url,
    });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/published generation g\d+/);
    expect(await currentGeneration(pool)).not.toBe(before);
    for (const s of [a, b]) {
      const answer = await until(async () => {
        const r = (await (await post(s.url, { question: 'How many ships did the harbour of Tallinn handle in May?' })).json()) as AskResult;
        return r.citations.some((c) => c.docId === 'harbour-2031') ? r : null;
      });
      expect(answer.answer).toContain('812');
    }
    stop = true;
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(0);
  });

  it('a lost database gives 503 not_ready with the reason, and the server recovers when it returns', async () => {
    const url = servers[0]?.url as string;
    await relay.down();
    const down = await until(async () => {
      const r = await post(url, { question: 'Where were the ceasefire talks due to take place?' });
      return r.status === 503 ? ((await r.json()) as { error: { code: string; message: string } }) : null;
    });
    expect(down.error.code).toBe('not_ready');
    expect(down.error.message).toMatch(/database is unreachable/);
    await relay.up();
    const back = await until(async () => {
      const r = await post(url, { question: 'Where were the ceasefire talks due to take place?' });
      return r.status === 200 ? ((await r.json()) as AskResult) : null;
    });
    expect(back.answer).toContain('Doha');
  });
});

describe('publishing to Postgres', () => {
  it('concurrent publishers both finish; the last switch wins and is served whole', async () => {
    const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
    const dir = await realpath(ws.indexDir);
    const [a, b] = await Promise.all([publishFromFiles(pool, dir, embedder), publishFromFiles(pool, dir, embedder)]);
    expect(a.generation).not.toBe(b.generation);
    const current = await currentGeneration(pool);
    expect([a.generation, b.generation]).toContain(current);
    const loaded = await loadGeneration(pool);
    expect(loaded.generation).toBe(current);
    expect(loaded.passages.length).toBe(loaded.manifest.counts.passages);
  });

  it('refuses to load a generation whose passage text no longer matches its document', async () => {
    const { table } = await loadGeneration(pool);
    await pool.query(`UPDATE ${table} SET text = text || ' ' WHERE (metadata->>'ordinal')::int = 3`);
    await expect(loadGeneration(pool)).rejects.toThrow(IndexError);
    await expect(loadGeneration(pool)).rejects.toThrow(/does not match its document/);
  });
});

let filesServer: RunningServer | null = null;
/** A server on the same seeds with the files store, for the eval comparison. */
async function filesServerUrl(): Promise<string> {
  filesServer ??= await startServer({ INDEX_DIR: inject('seedsIndexDir'), RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' });
  return filesServer.url;
}

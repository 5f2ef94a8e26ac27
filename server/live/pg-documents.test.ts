import { realpath } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbedder } from '../../ingest/embedder.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../../ingest/model/paths.ts';
import { type DevDatabase, startDevDatabase } from '../../store/postgres/dev-db.ts';
import { currentGeneration, loadGeneration, openStore, publishFromFiles } from '../../store/postgres/store.ts';
import { freePort, type RunningServer, seedsWorkspace, startServer, until, type Workspace } from '../../test/helpers.ts';
import { Relay } from '../../test/relay.ts';
import { LiveEngine } from './live-engine.ts';
import { silentLogger } from '../logger.ts';
import { PgCorpus } from './pg-corpus.ts';
import { loadPgEngine } from './pg-engine.ts';
import type { AskResult } from '../qa/index.ts';

// The documents API with FOOTNOTE_STORE=postgres: two servers on one database (PGlite + pgvector behind
// pglite-socket, reached with `pg`), writing at once. The servers check the generation once an hour, so
// every change one of them serves that the other wrote reached it by LISTEN/NOTIFY. Server A reaches the
// database through a relay that can be cut (a lost database), B directly.

const TOKEN = 'pg-documents-test-token-0123456789';
let db: DevDatabase;
let pool: pg.Pool;
let ws: Workspace;
let relay: Relay;
let a: RunningServer;
let b: RunningServer;

beforeAll(async () => {
  db = await startDevDatabase();
  const target = new URL(db.url);
  relay = new Relay(await freePort(), { host: target.hostname, port: Number(target.port) });
  await relay.up();
  ws = await seedsWorkspace(inject('seedsIndexDir'));
  pool = await openStore(db.url);
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  await publishFromFiles(pool, await realpath(ws.indexDir), embedder);
  const env = {
    FOOTNOTE_STORE: 'postgres',
    DATABASE_URL: db.url,
    FOOTNOTE_PG_POLL_MS: '3600000',
    FOOTNOTE_ADMIN_TOKEN: TOKEN,
    CORPUS_DIR: ws.corpusDir,
    INDEX_DIR: path.join(ws.root, 'no-index-here'),
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
  };
  [a, b] = await Promise.all([
    startServer({ ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:${relay.port}/postgres` }),
    startServer(env),
  ]);
});

afterAll(async () => {
  await Promise.all([a, b].map((s) => s?.stop()));
  await pool?.end();
  await relay?.down();
  await db?.stop();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const add = (s: RunningServer, body: unknown) =>
  fetch(`${s.url}/documents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const remove = (s: RunningServer, id: string) => fetch(`${s.url}/documents/${id}`, { method: 'DELETE', headers: auth });
const ids = async (s: RunningServer) =>
  ((await (await fetch(`${s.url}/documents`)).json()) as { documents: Array<{ id: string }> }).documents.map((d) => d.id).sort();
const ask = async (s: RunningServer, question: string) =>
  (await (await fetch(`${s.url}/ask?q=${encodeURIComponent(question)}`)).json()) as AskResult;
/** Where the current generation's rows are: the table with the HNSW index, and the delta of writes since. */
const storage = async () =>
  (
    await pool.query<{ passages_table: string; delta_table: string | null }>(
      'SELECT passages_table, delta_table FROM footnote_generations WHERE id = $1',
      [await currentGeneration(pool)],
    )
  ).rows[0];
const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; existingId?: string } }).error;


/** Both servers list exactly `expected` (each has picked up the last write, its own or the other's). */
const bothServe = (expected: string[]) =>
  until(async () => {
    const [x, y] = await Promise.all([ids(a), ids(b)]);
    return JSON.stringify(x) === JSON.stringify(expected) && JSON.stringify(y) === JSON.stringify(expected);
  });

const facts = [
  ['harbour-tallinn', 'Harbour report', 'The harbour of Tallinn handled 812 ships in May, a record for the port.'],
  ['lighthouse-kopu', 'Lighthouse news', 'The lighthouse of Kopu was repainted in June by 14 volunteers from Hiiumaa.'],
  ['ferry-saaremaa', 'Ferry timetable', 'The ferry to Saaremaa now leaves Virtsu every 45 minutes in summer.'],
  ['bridge-narva', 'Bridge works', 'The old bridge in Narva will close for repairs for 9 weeks from August.'],
] as const;

describe('documents API with FOOTNOTE_STORE=postgres, two servers on one database', () => {
  it('concurrent adds and deletes through both servers: none lost, none resurrected, one copy of a duplicate', async () => {
    const seeds = await ids(a);
    expect(seeds.length).toBe(5);
    const ingested = await storage();
    const [gone, alsoGone] = seeds as [string, string];
    const dupText = 'The tram depot in Tartu received 6 new low-floor trams in October.';
    const responses = await Promise.all([
      ...facts.map(([id, title, text], i) => add(i % 2 ? b : a, { id, title, text })),
      // The same text through both at once, under two ids: exactly one is indexed.
      add(a, { id: 'tram-a', text: dupText }),
      add(b, { id: 'tram-b', text: dupText }),
      // The same id through both at once, different texts: exactly one is indexed.
      add(a, { id: 'same-id', text: 'The museum of Parnu opened a new hall of 300 square metres.' }),
      add(b, { id: 'same-id', text: 'The library of Rakvere lent 20,000 books last winter.' }),
      remove(a, gone),
      remove(b, alsoGone),
    ]);
    const status = responses.map((r) => r.status);
    expect(status.slice(0, 4)).toEqual([201, 201, 201, 201]);
    expect(status.slice(8)).toEqual([200, 200]);
    const [tramA, tramB, idA, idB] = responses.slice(4, 8) as [Response, Response, Response, Response];
    expect([tramA.status, tramB.status].sort()).toEqual([201, 409]);
    const tramLoser = tramA.status === 409 ? tramA : tramB;
    const tramWinner = tramA.status === 201 ? 'tram-a' : 'tram-b';
    expect(await errorOf(tramLoser)).toMatchObject({ code: 'duplicate_document', existingId: tramWinner });
    expect([idA.status, idB.status].sort()).toEqual([201, 409]);
    expect((await errorOf(idA.status === 409 ? idA : idB)).code).toBe('id_taken');

    const expected = [...seeds.filter((id) => id !== gone && id !== alsoGone), ...facts.map(([id]) => id), tramWinner, 'same-id'].sort();
    await bothServe(expected);
    // The database's current generation holds the same, whole (every passage checked against its document).
    const current = await loadGeneration(pool);
    expect(current.documents.map((d) => d.docId).sort()).toEqual(expected);
    // Published as changes: the ingest's table and HNSW index kept, the deleted rows left out, the added
    // ones in a delta table.
    expect(await storage()).toMatchObject({ passages_table: ingested?.passages_table, delta_table: expect.any(String) });
    expect(current.removed.size).toBeGreaterThan(0);
    for (const question of ['Where were the ceasefire talks due to take place?', 'Who is Hanna Liubakova?', 'What did Lukashenko say?']) {
      for (const s of [a, b]) {
        const r = await ask(s, question);
        expect(r.citations.filter((c) => c.docId === gone || c.docId === alsoGone)).toEqual([]);
      }
    }

    for (const s of [a, b]) {
      const r = await ask(s, 'How many volunteers repainted the lighthouse of Kopu?');
      expect(r.answer).toContain('14');
      expect(r.citations.some((c) => c.docId === 'lighthouse-kopu')).toBe(true);
      const cited = r.citations.find((c) => c.docId === 'lighthouse-kopu');
      const doc = (await (await fetch(`${s.url}/documents/lighthouse-kopu`)).json()) as { text: string };
      expect(cited?.text).toBe(doc.text.slice(cited?.start, cited?.end));
    }
    const [x, y] = await Promise.all([
      ask(a, 'How often does the ferry to Saaremaa leave Virtsu?'),
      ask(b, 'How often does the ferry to Saaremaa leave Virtsu?'),
    ]);
    expect(x.answer).toContain('45 minutes');
    expect(y.answer).toBe(x.answer);
    expect(y.citations).toEqual(x.citations);
  });

  it('a delete through one server is not served by the other afterwards', async () => {
    const before = await ids(b);
    expect(before).toContain('harbour-tallinn');
    expect((await ask(b, 'How many ships did the harbour of Tallinn handle in May?')).answer).toContain('812');
    expect((await remove(a, 'harbour-tallinn')).status).toBe(200);
    await bothServe(before.filter((id) => id !== 'harbour-tallinn'));
    expect((await fetch(`${b.url}/documents/harbour-tallinn`)).status).toBe(404);
    const r = await ask(b, 'How many ships did the harbour of Tallinn handle in May?');
    expect(r.citations.some((c) => c.docId === 'harbour-tallinn')).toBe(false);
    expect(r.answer).not.toContain('812');
    // Deleting it again, through the other server: it is gone there too.
    expect((await remove(b, 'harbour-tallinn')).status).toBe(404);
  });

  it('a write while the database is unreachable is 503 not_ready; once it returns, writes and pickup work', async () => {
    const before = await ids(b);
    await relay.down();
    const doc = { id: 'harbour-parnu', title: 'Harbour report', text: 'The harbour of Parnu handled 97 yachts in July.' };
    const down = await add(a, doc);
    expect(down.status).toBe(503);
    const error = await errorOf(down);
    expect(error.code).toBe('not_ready');
    expect((error as { message?: string }).message).toMatch(/database is unreachable/);
    // Nothing was written: the other server, still connected, lists the same documents.
    expect(await ids(b)).toEqual(before);
    await relay.up();
    await until(async () => (await add(a, doc)).status === 201);
    await bothServe([...before, 'harbour-parnu'].sort());
    expect((await ask(b, 'How many yachts did the harbour of Parnu handle in July?')).answer).toContain('97');
  });

  it('a write past the delta limits is published in full (a new table and HNSW index), served by both', async () => {
    const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
    const live = new LiveEngine({
      indexDir: ws.indexDir,
      modelsDir: MODELS_DIR,
      modelId: DEFAULT_MODEL_ID,
      logger: silentLogger,
      load: (e) => loadPgEngine({ pool, modelsDir: MODELS_DIR, embedder: e ?? embedder }),
    });
    await live.reload();
    const before = await storage();
    const listed = await ids(a);
    const writer = new PgCorpus({ pool, live, maxDocBytes: 1024 * 1024, folder: 'seeds', limits: { removed: 0, rows: 0 } });
    await writer.add({ id: 'bakery-viljandi', body: 'The bakery in Viljandi sold 4,000 rye loaves at the autumn fair.', format: 'text' });
    const after = await storage();
    expect(after?.delta_table).toBeNull();
    expect(after?.passages_table).not.toBe(before?.passages_table);
    const loaded = await loadGeneration(pool);
    expect(loaded.removed.size).toBe(0);
    expect(loaded.passages.length).toBe(loaded.manifest.counts.passages);
    await bothServe([...listed, 'bakery-viljandi'].sort());
    for (const s of [a, b]) {
      expect((await ask(s, 'How many rye loaves did the bakery in Viljandi sell?')).answer).toContain('4,000');
    }
  });
});

describe('the development database (pglite-socket)', () => {
  it('delivers a NOTIFY to the connections that LISTEN, not only to the one that sent it', async () => {
    const listener = new pg.Client(db.url);
    const other = new pg.Client(db.url);
    const notifier = new pg.Client(db.url);
    try {
      await Promise.all([listener.connect(), other.connect(), notifier.connect()]);
      const got: string[] = [];
      const heard = new Promise<void>((resolve) =>
        listener.on('notification', (n) => {
          got.push(`${n.channel}:${n.payload}`);
          if (n.payload === 'two') resolve();
        }),
      );
      other.on('notification', (n) => got.push(`other ${n.channel}:${n.payload}`));
      await listener.query('LISTEN footnote_test');
      await other.query('LISTEN "Other"');
      await notifier.query(`SELECT pg_notify('footnote_test', 'one')`);
      await notifier.query('BEGIN');
      await notifier.query(`SELECT pg_notify('footnote_test', 'two')`);
      await notifier.query('COMMIT');
      await heard;
      expect(got).toEqual(['footnote_test:one', 'footnote_test:two']);
    } finally {
      await Promise.all([listener.end(), other.end(), notifier.end()]);
    }
  });
});

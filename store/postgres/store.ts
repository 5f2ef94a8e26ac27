import { PGVectorStore } from '@langchain/community/vectorstores/pgvector';
import { Document } from '@langchain/core/documents';
import hnswlib from 'hnswlib-node';
import pg from 'pg';
import { type Embedder, FootnoteEmbeddings } from '../../ingest/embedder.ts';
import { DEFAULT_HNSW, type IndexData, IndexError, type LoadedIndex, loadIndex } from '../generations.ts';
import { type DocumentRecord, type Manifest, ManifestSchema, type Passage } from '../format.ts';
import { migrate, SCHEMA_LOCK } from './migrations.ts';

/** The channel a publish notifies, with the new generation id as payload. */
export const GENERATION_CHANNEL = 'footnote_generation';

/** What a passage row of a generation's table carries besides its text and vector (PGVectorStore's `metadata`). */
interface PassageMetadata {
  ordinal: number;
  id: string;
  docId: string;
  start: number;
  end: number;
  sentences: Array<[number, number]>;
  hash: string;
}

export interface PoolOptions {
  /**
   * pgvector's HNSW search breadth (its default, 40, returns at most 40 rows: fewer than the 50 read). Default:
   * the file index's, for the graph built with the same M and efConstruction.
   */
  efSearch?: number;
  max?: number;
  /**
   * Client-side limit on any one query, so a database that stops answering (a network partition sends no
   * reset) becomes an error, and a server says 503 instead of waiting forever. Unset for ingests, whose
   * HNSW build may take minutes.
   */
  queryTimeoutMs?: number;
}

/** A connection pool to the shared store; every connection gets `hnsw.ef_search` set first. */
export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const efSearch = Math.max(1, Math.floor(opts.efSearch ?? DEFAULT_HNSW.efSearch));
  return new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    connectionTimeoutMillis: 5000,
    ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs } : {}),
    // Connections are kept: opening one per burst of questions costs a round trip and the SET below.
    idleTimeoutMillis: 0,
    onConnect: async (client) => {
      await client.query(`SET hnsw.ef_search = ${efSearch}`);
    },
  }).on('error', () => {
    // An idle connection the server dropped (restart, network): the pool discards it, the next query reconnects.
  });
}

/** Opens a pool and brings the schema up to date (migrations are idempotent). */
export async function openStore(url: string, opts: PoolOptions = {}): Promise<pg.Pool> {
  const pool = createPool(url, opts);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    throw new IndexError(
      `cannot prepare the Postgres store at ${redact(url)}: ${(err as Error).message}`,
      'check DATABASE_URL and that the database has the pgvector extension (npm run db:dev starts a local one)',
    );
  }
  return pool;
}

/** DATABASE_URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/**
 * The vector store of one generation. LangChain's PGVectorStore fits the table layout (id, text, metadata
 * jsonb, embedding vector(d)) and writes the rows; Footnote's passage fields go into `metadata`. It costs
 * no correctness that matters here: it strips NUL characters from the text it stores (which would shift
 * offsets), and the loader checks `text === document.slice(start, end)` for every passage, so such an
 * index fails to load instead of serving wrong citations (ingest refuses binary files anyway). Its search
 * is not used for queries: see `denseSearch`.
 */
function vectorStore(pool: pg.Pool, table: string, embedder: Embedder): PGVectorStore {
  return new PGVectorStore(new FootnoteEmbeddings(embedder), {
    pool,
    tableName: table,
    distanceStrategy: 'cosine',
    columns: { idColumnName: 'id', vectorColumnName: 'embedding', contentColumnName: 'text', metadataColumnName: 'metadata' },
  });
}

const vectorLiteral = (v: Float32Array) => `[${Array.from(v).join(',')}]`;

/**
 * Writes a complete index as a new generation, then publishes it: one transaction switches
 * `footnote_current` and notifies `footnote_generation`, so a reader sees the old or the new generation,
 * never a mix, and a publisher killed before the switch leaves only unpublished rows (removed by the next
 * publish). Concurrent publishers are serialised by an advisory lock around the switch; the last one wins.
 */
export async function publishGeneration(
  pool: pg.Pool,
  data: IndexData,
  embedder: Embedder,
  /**
   * Publish only if this generation is still the current one (a compare-and-switch under the lock): a
   * documents API write built from it. Otherwise the new generation is dropped and StaleGenerationError
   * thrown, so no write is published over another it did not see.
   */
  basedOn?: string,
): Promise<{ generation: string; ms: number; steps: Record<'documents' | 'passages' | 'hnsw' | 'switch', number> }> {
  const t0 = performance.now();
  const steps = { documents: 0, passages: 0, hnsw: 0, switch: 0 };
  let mark = t0;
  const step = (name: keyof typeof steps) => {
    const now = performance.now();
    steps[name] = Math.round(now - mark);
    mark = now;
  };
  const seq = (await pool.query<{ n: string }>(`SELECT nextval('footnote_generation_seq')::text AS n`)).rows[0]?.n;
  const generation = `g${seq}`;
  const table = `footnote_passages_${generation}`;
  const dims = data.manifest.model.dimensions;
  await pool.query('INSERT INTO footnote_generations (id, manifest, passages_table) VALUES ($1, $2, $3)', [
    generation,
    data.manifest,
    table,
  ]);
  const docs = data.documents;
  for (let i = 0; i < docs.length; i += 500) {
    const chunk = docs.slice(i, i + 500);
    await pool.query(
      `INSERT INTO footnote_documents (generation, ordinal, doc_id, source, title, text, hash, pages)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])`,
      [
        generation,
        chunk.map((_, j) => i + j),
        chunk.map((d) => d.docId),
        chunk.map((d) => d.source),
        chunk.map((d) => d.title),
        chunk.map((d) => d.text),
        chunk.map((d) => d.hash),
        chunk.map((d) => (d.pages ? JSON.stringify(d.pages) : null)),
      ],
    );
  }
  step('documents');
  const store = vectorStore(pool, table, embedder);
  await store.ensureTableInDatabase(dims);
  const rows = data.passages.map(
    (p, ordinal) =>
      new Document<PassageMetadata>({
        pageContent: p.text,
        metadata: { ordinal, id: p.id, docId: p.docId, start: p.start, end: p.end, sentences: p.sentences, hash: p.hash },
      }),
  );
  // PGVectorStore strips NUL characters from the text it stores; the loader checks every passage against
  // its document, so such a passage would fail the load instead of serving shifted offsets.
  await store.addVectors(
    data.vectors.map((v) => Array.from(v)),
    rows,
  );
  step('passages');
  // Built after the rows are in (faster than maintaining it row by row), before the generation is visible.
  const { m, efConstruction } = data.manifest.hnsw;
  await pool.query(
    `CREATE INDEX ON ${table} USING hnsw (embedding vector_cosine_ops) WITH (m = ${m}, ef_construction = ${efConstruction})`,
  );
  step('hnsw');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    if (basedOn !== undefined) {
      const { rows } = await client.query<{ generation: string }>('SELECT generation FROM footnote_current FOR UPDATE');
      if (rows[0]?.generation !== basedOn) throw new StaleGenerationError(basedOn, rows[0]?.generation ?? null);
    }
    await client.query('UPDATE footnote_generations SET published_at = now() WHERE id = $1', [generation]);
    await switchTo(client, generation);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if (err instanceof StaleGenerationError) await dropGeneration(pool, generation);
    throw err;
  } finally {
    client.release();
  }
  step('switch');
  await pruneGenerations(pool);
  return { generation, ms: performance.now() - t0, steps };
}

/**
 * What a documents API write may leave beside its base table before the next write publishes in full
 * (rebuilding the HNSW index): removed rows cost every search k + removed HNSW rows (hnsw.ef_search, 192,
 * bounds how many one scan returns: 50 + 64 fit), delta rows an exact scan each.
 */
export const DELTA_LIMITS = { removed: 64, rows: 2000 };

/** A change to a generation: the documents it adds (with their passages and vectors) and the ids it removes. */
export interface GenerationChange {
  manifest: Manifest;
  /** The new generation's documents, in order. */
  documents: DocumentRecord[];
  added: Array<{ passage: Passage; vector: Float32Array }>;
  removedDocs: string[];
}

/**
 * Publishes a documents API write as the next generation in one transaction, without rebuilding anything:
 * the new generation keeps `base`'s table and HNSW index, names the rows it no longer has, and gets a small
 * table of its own with the rows of every document added since that table was built (copied from the
 * base's delta, plus this write's). Under the publish lock and a row lock on `footnote_current`, `base`
 * must still be current (else StaleGenerationError and nothing is written): no write is lost to another.
 */
export async function publishChange(
  pool: pg.Pool,
  base: PgIndex,
  change: GenerationChange,
  embedder: Embedder,
): Promise<{ generation: string; ms: number }> {
  const t0 = performance.now();
  const gone = new Set(change.removedDocs);
  const removed = new Set(base.removed);
  base.passages.forEach((p, i) => {
    if (gone.has(p.docId) && !base.inDelta[i]) removed.add(base.ordinals[i] as number);
  });
  const newIds = new Set(change.added.map((a) => a.passage.docId));
  const client = await pool.connect();
  let generation = '';
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    const { rows } = await client.query<{ generation: string }>('SELECT generation FROM footnote_current FOR UPDATE');
    if (rows[0]?.generation !== base.generation) throw new StaleGenerationError(base.generation, rows[0]?.generation ?? null);
    const seq = (await client.query<{ n: string }>(`SELECT nextval('footnote_generation_seq')::text AS n`)).rows[0]?.n;
    generation = `g${seq}`;
    const delta = `footnote_delta_${generation}`;
    await client.query(
      `INSERT INTO footnote_generations (id, manifest, passages_table, delta_table, removed, published_at)
       VALUES ($1, $2, $3, $4, $5, now())`,
      [generation, change.manifest, base.table, delta, [...removed]],
    );
    const kept = change.documents.flatMap((d, i) => (newIds.has(d.docId) ? [] : [[d.docId, i] as const]));
    await client.query(
      `INSERT INTO footnote_documents (generation, ordinal, doc_id, source, title, text, hash, pages)
       SELECT $1, o.ordinal, d.doc_id, d.source, d.title, d.text, d.hash, d.pages
       FROM unnest($2::text[], $3::int[]) AS o(doc_id, ordinal)
       JOIN footnote_documents d ON d.generation = $4 AND d.doc_id = o.doc_id`,
      [generation, kept.map(([id]) => id), kept.map(([, i]) => i), base.generation],
    );
    for (const [i, d] of change.documents.entries()) {
      if (!newIds.has(d.docId)) continue;
      await client.query(
        `INSERT INTO footnote_documents (generation, ordinal, doc_id, source, title, text, hash, pages)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [generation, i, d.docId, d.source, d.title, d.text, d.hash, d.pages ? JSON.stringify(d.pages) : null],
      );
    }
    // PGVectorStore writes through whatever has `query`: here the transaction's connection.
    const store = vectorStore(client as unknown as pg.Pool, delta, embedder);
    await store.ensureTableInDatabase(change.manifest.model.dimensions);
    if (base.deltaTable) {
      await client.query(
        `INSERT INTO ${delta} (id, text, metadata, embedding)
         SELECT id, text, metadata, embedding FROM ${base.deltaTable} WHERE NOT (metadata->>'docId' = ANY($1::text[]))`,
        [change.removedDocs],
      );
    }
    if (change.added.length) {
      await store.addVectors(
        change.added.map((a) => Array.from(a.vector)),
        change.added.map(
          ({ passage: p }, j) =>
            new Document<PassageMetadata>({
              pageContent: p.text,
              metadata: { ordinal: base.nextOrdinal + j, id: p.id, docId: p.docId, start: p.start, end: p.end, sentences: p.sentences, hash: p.hash },
            }),
        ),
      );
    }
    await switchTo(client, generation);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  await pruneGenerations(pool);
  return { generation, ms: performance.now() - t0 };
}

/**
 * Drops every generation but the current one and the one published before it (a server may still be
 * loading it), including unpublished ones a killed publisher left. Unpublished generations younger than
 * ten minutes are kept: another publisher may be writing them.
 */
/** Makes `generation` the current one and tells every listening server, committing the caller's transaction. */
async function switchTo(client: pg.PoolClient, generation: string): Promise<void> {
  await client.query(
    `INSERT INTO footnote_current (singleton, generation) VALUES (true, $1)
     ON CONFLICT (singleton) DO UPDATE SET generation = EXCLUDED.generation`,
    [generation],
  );
  await client.query('SELECT pg_notify($1, $2)', [GENERATION_CHANNEL, generation]);
  await client.query('COMMIT');
}

async function pruneGenerations(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM footnote_generations g
     WHERE id <> (SELECT generation FROM footnote_current)
       AND id NOT IN (SELECT id FROM footnote_generations WHERE published_at IS NOT NULL
                      ORDER BY published_at DESC OFFSET 1 LIMIT 1)
       AND (published_at IS NOT NULL OR created_at < now() - interval '10 minutes')`,
  );
  for (const r of rows) await dropGeneration(pool, r.id);
}

/** Removes a generation: its row, its delta table, and its passages table unless a kept generation shares it. */
async function dropGeneration(pool: pg.Pool, generation: string): Promise<void> {
  const { rows } = await pool.query<{ passages_table: string; delta_table: string | null }>(
    'DELETE FROM footnote_generations WHERE id = $1 RETURNING passages_table, delta_table',
    [generation],
  );
  const gone = rows[0];
  if (!gone) return;
  if (gone.delta_table) await pool.query(`DROP TABLE IF EXISTS ${gone.delta_table}`);
  const shared = await pool.query('SELECT 1 FROM footnote_generations WHERE passages_table = $1 LIMIT 1', [gone.passages_table]);
  if (!shared.rowCount) await pool.query(`DROP TABLE IF EXISTS ${gone.passages_table}`);
}

/** A publish built from a generation that is no longer current (another writer switched first). */
export class StaleGenerationError extends Error {
  override name = 'StaleGenerationError';
  constructor(
    readonly basedOn: string,
    readonly current: string | null,
  ) {
    super(`generation ${basedOn} is no longer current (now ${current ?? 'none'})`);
  }
}

/** The generation served now, or null before the first publish. */
export async function currentGeneration(pool: pg.Pool): Promise<string | null> {
  const { rows } = await pool.query<{ generation: string }>('SELECT generation FROM footnote_current');
  return rows[0]?.generation ?? null;
}

/** A generation read from Postgres: the index the engine answers from, and where its rows are. */
export interface PgIndex extends LoadedIndex {
  generation: string;
  /** The table with the pgvector HNSW index (the last full publish's), shared by the writes since. */
  table: string;
  /** The rows a documents API write added since that publish (no index: searched exactly), or null. */
  deltaTable: string | null;
  /** Ordinals of `table`'s rows that are not in this generation (documents deleted since). */
  removed: ReadonlySet<number>;
  /** Each passage's row ordinal (passage i is row `ordinals[i]`), and the reverse. */
  ordinals: number[];
  positions: Map<number, number>;
  /** Whether passage i is a row of `deltaTable`. */
  inDelta: boolean[];
  /** The next free row ordinal of this lineage (past every row of `table` and `deltaTable`). */
  nextOrdinal: number;
}

const { HierarchicalNSW } = hnswlib;

type PassageRow = { text: string; metadata: PassageMetadata; embedding: string };

const passageRows = (pool: pg.Pool, table: string) =>
  pool
    .query<PassageRow>(`SELECT text, metadata, embedding::text AS embedding FROM ${table} ORDER BY (metadata->>'ordinal')::int`)
    .then((r) => r.rows);

/**
 * Loads the current generation: documents, passages (offsets and sentences) and vectors, each passage
 * checked against its document (`text === document.slice(start, end)`). The generation id is read once and
 * every query names it, so a publish during the load cannot mix two generations.
 */
export async function loadGeneration(pool: pg.Pool): Promise<PgIndex> {
  const generation = await currentGeneration(pool);
  if (!generation) throw new IndexError('the Postgres store has no index yet', 'run FOOTNOTE_STORE=postgres npm run ingest');
  const gen = (
    await pool.query<{ manifest: unknown; passages_table: string; delta_table: string | null; removed: number[] }>(
      'SELECT manifest, passages_table, delta_table, removed FROM footnote_generations WHERE id = $1',
      [generation],
    )
  ).rows[0];
  if (!gen) throw new IndexError(`generation ${generation} is missing`, 'run FOOTNOTE_STORE=postgres npm run ingest');
  const manifest: Manifest = ManifestSchema.parse(gen.manifest);
  const docRows = await pool.query<{
    doc_id: string;
    source: string;
    title: string;
    text: string;
    hash: string;
    pages: number[] | null;
  }>('SELECT doc_id, source, title, text, hash, pages FROM footnote_documents WHERE generation = $1 ORDER BY ordinal', [
    generation,
  ]);
  const documents: DocumentRecord[] = docRows.rows.map((d) => ({
    docId: d.doc_id,
    source: d.source,
    title: d.title,
    text: d.text,
    hash: d.hash,
    ...(d.pages ? { pages: d.pages } : {}),
  }));
  const byId = new Map(documents.map((d) => [d.docId, d]));
  const removed = new Set(gen.removed);
  const [base, delta] = await Promise.all([
    passageRows(pool, gen.passages_table),
    gen.delta_table ? passageRows(pool, gen.delta_table) : Promise.resolve([]),
  ]);
  const corrupt = (id: string) =>
    new IndexError(
      `passage ${id} of generation ${generation} does not match its document`,
      'run FOOTNOTE_STORE=postgres npm run ingest -- --full to republish the index',
    );
  // A full publish numbers its rows 0..n-1; a write's rows follow them (see publishChange).
  base.forEach((r, i) => {
    if (r.metadata.ordinal !== i) throw corrupt(r.metadata.id);
  });
  const passages: Passage[] = [];
  const vectors: Float32Array[] = [];
  const ordinals: number[] = [];
  const inDelta: boolean[] = [];
  const rows = [...base.filter((r) => !removed.has(r.metadata.ordinal)), ...delta];
  rows.forEach((r, i) => {
    const m = r.metadata;
    const doc = byId.get(m.docId);
    if (!doc || doc.text.slice(m.start, m.end) !== r.text) throw corrupt(m.id);
    passages.push({ id: m.id, docId: m.docId, start: m.start, end: m.end, text: r.text, sentences: m.sentences, hash: m.hash });
    vectors.push(Float32Array.from(r.embedding.slice(1, -1).split(','), Number));
    ordinals.push(m.ordinal);
    inDelta.push(i >= rows.length - delta.length);
  });
  if (passages.length !== manifest.counts.passages || documents.length !== manifest.counts.documents) {
    throw new IndexError(`generation ${generation} is incomplete`, 'run FOOTNOTE_STORE=postgres npm run ingest');
  }
  return {
    manifest,
    documents,
    passages,
    vectors,
    // Dense search goes to pgvector (PgRetriever); this graph is never built or searched, it only gives
    // the LoadedIndex shape the engine is typed with.
    hnsw: new HierarchicalNSW('cosine', manifest.model.dimensions),
    dir: `postgres:${generation}`,
    generation,
    table: gen.passages_table,
    deltaTable: gen.delta_table,
    removed,
    ordinals,
    positions: new Map(ordinals.map((o, i) => [o, i])),
    inDelta,
    nextOrdinal: Math.max(base.length, ...delta.map((r) => r.metadata.ordinal + 1)),
  };
}

/**
 * The k passages of a generation nearest to `query` (passage index, cosine similarity): the HNSW index of
 * its table, asked for k more than the rows this generation removed from it (they are dropped here), and an
 * exact scan of its delta table, merged.
 */
export async function searchGeneration(
  pool: pg.Pool,
  index: Pick<PgIndex, 'table' | 'deltaTable' | 'removed' | 'positions'>,
  query: Float32Array,
  k: number,
): Promise<Array<[number, number]>> {
  const [base, delta] = await Promise.all([
    denseSearch(pool, index.table, query, k + index.removed.size),
    index.deltaTable ? denseSearch(pool, index.deltaTable, query, k) : Promise.resolve([]),
  ]);
  const hits: Array<[number, number]> = [];
  for (const [ordinal, similarity] of [...base.filter(([o]) => !index.removed.has(o)), ...delta]) {
    const i = index.positions.get(ordinal);
    if (i !== undefined) hits.push([i, similarity]);
  }
  return hits.sort((a, b) => b[1] - a[1]).slice(0, k);
}

/**
 * The k nearest passages (ordinal, cosine similarity) by the generation's pgvector HNSW index. Plain SQL
 * rather than PGVectorStore's `similaritySearchVectorWithScore`, which selects every column of each hit
 * (the whole vector as text, the metadata with its sentence offsets) and builds Documents where retrieval
 * needs two numbers: `npm run bench:pg` at 10k passages over pglite-socket, top 50, paired on the same
 * queries: p50 2.83 ms against 3.74 ms, the same 50 passages in the same order (20 of 20 queries); the
 * gap grows with a database across a network, where PGVectorStore moves ~50 vectors per question.
 */
export async function denseSearch(
  pool: pg.Pool,
  table: string,
  query: Float32Array,
  k: number,
): Promise<Array<[number, number]>> {
  const { rows } = await pool.query<{ ordinal: number; distance: number }>(
    `SELECT (metadata->>'ordinal')::int AS ordinal, embedding <=> $1 AS distance FROM ${table}
     ORDER BY embedding <=> $1 LIMIT $2`,
    [vectorLiteral(query), k],
  );
  return rows.map((r) => [r.ordinal, 1 - Number(r.distance)]);
}

/** LangChain's similarity search over the same table, for the comparison `npm run bench:pg` makes. */
export async function denseSearchLangChain(
  pool: pg.Pool,
  table: string,
  embedder: Embedder,
  query: Float32Array,
  k: number,
): Promise<Array<[number, number]>> {
  const hits = await vectorStore(pool, table, embedder).similaritySearchVectorWithScore(Array.from(query), k);
  return hits.map(([doc, distance]) => [(doc.metadata as PassageMetadata).ordinal, 1 - distance]);
}

/**
 * Publishes a files-store generation (what `ingest` just wrote: it stays the ingest's local cache of
 * embeddings, so a re-ingest embeds only changed passages) as the database's new current generation.
 */
export async function publishFromFiles(
  pool: pg.Pool,
  generationDir: string,
  embedder: Embedder,
): ReturnType<typeof publishGeneration> {
  const { hnsw: _, dir: __, ...data } = await loadIndex(generationDir);
  return publishGeneration(pool, data, embedder);
}

import type pg from 'pg';

/**
 * The Postgres schema, as numbered migrations. Each runs once (all pending ones in one transaction), recorded in
 * `footnote_migrations`; every server and ingest runs `migrate` at start, under an advisory lock, so two
 * processes starting together apply each migration exactly once. Never edit a shipped migration: add one.
 *
 * Documents and the generation table are shared by all generations (keyed by generation id); each
 * generation's passages and vectors live in a table of their own (`footnote_passages_g<n>`, PGVectorStore's
 * layout: see postgres.ts), so each generation has its own pgvector HNSW index and a search never filters
 * by generation (a filtered HNSW scan returns fewer than k rows). A documents API write shares its base's
 * table and index: its generation names the base rows it leaves out (`removed`, by ordinal) and a small
 * table of its own with the rows it adds (`delta_table`, searched exactly): see `publishChange`.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'generations, documents, current generation',
    sql: `
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE SEQUENCE footnote_generation_seq;
      CREATE TABLE footnote_generations (
        id text PRIMARY KEY,
        manifest jsonb NOT NULL,
        passages_table text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      );
      CREATE TABLE footnote_documents (
        generation text NOT NULL REFERENCES footnote_generations (id) ON DELETE CASCADE,
        ordinal integer NOT NULL,
        doc_id text NOT NULL,
        source text NOT NULL,
        title text NOT NULL,
        text text NOT NULL,
        hash text NOT NULL,
        pages jsonb,
        PRIMARY KEY (generation, ordinal)
      );
      CREATE TABLE footnote_current (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        generation text NOT NULL REFERENCES footnote_generations (id)
      );
    `,
  },
  {
    version: 2,
    name: 'a generation is its base table less removed rows, plus a delta table (documents API writes)',
    sql: `
      ALTER TABLE footnote_generations
        ADD COLUMN delta_table text,
        ADD COLUMN removed integer[] NOT NULL DEFAULT '{}';
    `,
  },
];

/** Lock id shared by every Footnote process that migrates or publishes. */
export const SCHEMA_LOCK = 0x466f6f74;

/** Applies the migrations this database lacks; idempotent, safe to run from several processes at once. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS footnote_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM footnote_migrations')).rows.map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO footnote_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

import { z } from 'zod';

/**
 * A local database (`npm run db:dev`). Defined here, not in store.ts: every server start reads this file,
 * and store.ts imports pg and LangChain (≈0.3 s), which only Postgres mode needs.
 */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Where the index lives: `files` (an index generation folder, INDEX_DIR) or `postgres` (a database that
 * several servers share, DATABASE_URL). Read by the server and by `npm run ingest`.
 */
export const StoreEnvSchema = z.object({
  FOOTNOTE_STORE: z.enum(['files', 'postgres']).default('files'),
  DATABASE_URL: z.string().url().default(DEFAULT_DATABASE_URL),
  /** With postgres: how often a server checks the current generation and the connection (a missed NOTIFY, a lost database). */
  FOOTNOTE_PG_POLL_MS: z.coerce.number().int().positive().default(2000),
});
export type StoreEnv = z.infer<typeof StoreEnvSchema>;

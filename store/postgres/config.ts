import { z } from 'zod';
import { DEFAULT_DATABASE_URL } from './store.ts';

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

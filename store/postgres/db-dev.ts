import { DEFAULT_DATABASE_URL } from './config.ts';
import { startDevDatabase } from './dev-db.ts';

/**
 * `npm run db:dev`: a local Postgres with pgvector at DATABASE_URL's host and port, its data in
 * PGDATA_DIR (default data/pgdata; empty: in memory, gone when it stops).
 */
const url = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
const dataDir = process.env.PGDATA_DIR ?? 'data/pgdata';
const db = await startDevDatabase({
  host: url.hostname,
  port: Number(url.port || 5432),
  dataDir,
}).catch((err: unknown) => {
  console.error(`db:dev: cannot start on ${url.host}: ${(err as Error).message}`);
  process.exit(2);
});
console.log(`db:dev: Postgres (PGlite + pgvector) at ${db.url}, data ${dataDir ? `in ${dataDir}` : 'in memory'}; Ctrl-C to stop`);
const stop = () => {
  db.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

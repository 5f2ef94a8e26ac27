import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface DevDatabase {
  /** postgres://postgres@host:port/postgres */
  url: string;
  stop(): Promise<void>;
}

/**
 * A local Postgres for development and tests: PGlite (PostgreSQL compiled to WebAssembly) with pgvector,
 * served over the Postgres wire protocol on a loopback port, so Footnote reaches it with the `pg` driver
 * exactly as it reaches a real server. One process, one session shared by every connection (queries are
 * queued; a transaction holds the database until it ends). `dataDir` keeps the data; without it, memory.
 */
export async function startDevDatabase(opts: { host?: string; port?: number; dataDir?: string } = {}): Promise<DevDatabase> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create({ ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, maxConnections: 200 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

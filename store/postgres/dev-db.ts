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
  keepExtendedQueriesWhole(server, db);
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** Extended-protocol messages that leave a sequence open until the client's Sync. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'F'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);
const QUERY = 'Q'.charCodeAt(0);

interface QueueDb {
  isInTransaction(): boolean;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocolRawStream(message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]): Promise<unknown>;
  exec(query: string): Promise<unknown>;
}

/**
 * pglite-socket queues each protocol message of each connection on the one PGlite session, and keeps a
 * connection's messages together only inside a transaction. A parameterised query is several messages
 * (Parse, Bind, Execute, Sync) sharing the session's unnamed portal, so another connection's query landing
 * between them fails with `portal "" does not exist` (seen with two servers polling while an ingest
 * writes). This makes the queue treat an open Parse…Sync sequence like a transaction: the connection that
 * opened it goes on until its Sync. A real Postgres gives every connection its own session.
 */
function keepExtendedQueriesWhole(server: PGLiteSocketServer, db: PGlite): void {
  let open = false;
  const wrapped: QueueDb = {
    isInTransaction: () => open || db.isInTransaction(),
    runExclusive: (fn) => db.runExclusive(fn),
    execProtocolRawStream: (message, options) => {
      const type = message[0] as number;
      if (EXTENDED.has(type)) open = true;
      else if (type === SYNC || type === QUERY) open = false;
      return db.execProtocolRawStream(message, options);
    },
    exec: (query) => db.exec(query),
  };
  const queue = (server as unknown as { queryQueue?: { db: QueueDb } }).queryQueue;
  if (!queue || !('db' in queue)) throw new Error('unexpected @electric-sql/pglite-socket internals: update dev-db.ts');
  queue.db = wrapped;
}

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
 * queued; a transaction holds the database until it ends; LISTEN/NOTIFY made per connection below).
 * `dataDir` keeps the data; without it, memory.
 */
export async function startDevDatabase(opts: { host?: string; port?: number; dataDir?: string } = {}): Promise<DevDatabase> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create({ ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, maxConnections: 200 });
  keepExtendedQueriesWhole(server, db);
  deliverNotifications(server);
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

const NOTIFICATION = 'A'.charCodeAt(0);

interface SocketHandler {
  readonly handlerId: number;
  socket: { writable: boolean; write(data: Uint8Array): boolean } | null;
}

/**
 * LISTEN/NOTIFY across connections. Every connection shares PGlite's one session, so the session listens
 * on the union of the channels and Postgres returns each notification (a NotificationResponse message)
 * in the output of the query that committed it: to the notifying connection only, never to a listener on
 * another connection. This keeps the channels each connection LISTENed to (a simple-protocol LISTEN or
 * UNLISTEN, as `pg` sends them) and copies every NotificationResponse in a query's output to the other
 * connections listening on its channel, as a real Postgres would deliver it. A notification is written
 * between two of the listener's responses, never inside one (only the running query's connection
 * receives output), as a real server may at any message boundary.
 */
function deliverNotifications(server: PGLiteSocketServer): void {
  const internals = server as unknown as {
    handlers?: Set<SocketHandler>;
    queryQueue?: {
      db: QueueDb;
      enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number>;
    };
  };
  const queue = internals.queryQueue;
  const handlers = internals.handlers;
  if (!queue || !handlers || typeof queue.enqueue !== 'function') {
    throw new Error('unexpected @electric-sql/pglite-socket internals: update dev-db.ts');
  }
  const channels = new Map<number, Set<string>>();
  const sender = new WeakMap<Uint8Array, number>();
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = (handlerId, message, onData) => {
    sender.set(message, handlerId);
    if (message[0] === QUERY) {
      const sql = Buffer.from(message.subarray(5)).toString('utf8').replace(/\0$/, '');
      const m = /^\s*(UN)?LISTEN\s+("?)(\*|[\w$]+)\2\s*;?\s*$/i.exec(sql);
      if (m) {
        const set = channels.get(handlerId) ?? new Set<string>();
        const channel = m[2] ? (m[3] as string) : (m[3] as string).toLowerCase();
        if (!m[1]) set.add(channel);
        else if (channel === '*') set.clear();
        else set.delete(channel);
        channels.set(handlerId, set);
      }
    }
    return enqueue(handlerId, message, onData);
  };
  const inner = queue.db;
  queue.db = {
    isInTransaction: () => inner.isInTransaction(),
    runExclusive: (fn) => inner.runExclusive(fn),
    exec: (query) => inner.exec(query),
    execProtocolRawStream: async (message, options) => {
      // Output is copied only while a connection listens (a load of 100k passages is hundreds of MB).
      if (![...channels.values()].some((set) => set.size > 0)) return inner.execProtocolRawStream(message, options);
      const chunks: Uint8Array[] = [];
      const result = await inner.execProtocolRawStream(message, {
        ...options,
        onRawData: (data: Uint8Array) => {
          chunks.push(data.slice());
          options?.onRawData?.(data);
        },
      });
      const from = sender.get(message);
      for (const n of notifications(Buffer.concat(chunks))) {
        for (const h of handlers) {
          if (h.handlerId !== from && channels.get(h.handlerId)?.has(n.channel) && h.socket?.writable) h.socket.write(n.bytes);
        }
      }
      for (const id of channels.keys()) if (![...handlers].some((h) => h.handlerId === id)) channels.delete(id);
      return result;
    },
  };
}

/** The NotificationResponse messages in a stream of backend messages: each one whole, and its channel. */
function* notifications(out: Buffer): Generator<{ channel: string; bytes: Buffer }> {
  for (let at = 0; at + 5 <= out.length; ) {
    const length = out.readInt32BE(at + 1);
    if (out[at] === NOTIFICATION) {
      const body = out.subarray(at + 9, at + 1 + length);
      const channel = body.subarray(0, body.indexOf(0)).toString('utf8');
      yield { channel, bytes: Buffer.from(out.subarray(at, at + 1 + length)) };
    }
    at += 1 + length;
  }
}

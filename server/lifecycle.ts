import { type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import { ERROR_STATUS, type ErrorCode } from './errors.ts';
import { errorBody } from './http/errors.ts';
import type { Logger } from './logger.ts';

export interface ListenOptions {
  fetch: Parameters<typeof serve>[0]['fetch'];
  hostname: string;
  port: number;
  /** The whole request, body included, must arrive within this (else 408 and the socket is closed). */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

export class ListenError extends Error {
  override name = 'ListenError';
}

/**
 * Starts the HTTP server with timeouts that keep slow or stalled clients (a body sent a byte a second,
 * headers that never end, a response never read) from holding sockets and memory.
 */
export function listen(opts: ListenOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: opts.fetch,
      hostname: opts.hostname,
      port: opts.port,
      serverOptions: {
        requestTimeout: opts.requestTimeoutMs,
        headersTimeout: Math.min(opts.headersTimeoutMs, opts.requestTimeoutMs),
        // Node checks both timeouts only this often (30 s by default).
        connectionsCheckingInterval: Math.min(1000, opts.headersTimeoutMs),
      },
    }) as Server;
    // A socket on which nothing moves either way (a client that stopped reading) is closed.
    server.setTimeout(opts.requestTimeoutMs);
    server.on('clientError', answerClientError);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new ListenError(`port ${opts.port} on ${opts.hostname} is in use; set PORT to another port`)
          : err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
            ? new ListenError(
                `cannot listen on ${opts.hostname}:${opts.port} (${err.code}); check HOST and PORT`,
              )
            : err,
      );
    });
  });
}

/**
 * Requests Node's HTTP parser rejects before the app sees them (bytes not allowed in a request line or
 * header, oversized headers, the request timeouts) get the same JSON errors as the app's, not an empty 400.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [code, message]: [ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request_timeout', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['headers_too_large', 'request headers are too large']
        : ['malformed_request', 'malformed HTTP request'];
  const status = ERROR_STATUS[code];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let requests in flight finish (new requests on open
 * connections get 503 via `onDrain`), then exit 0; if they take longer than `timeoutMs`, exit 1 anyway.
 */
export function shutdownOnSignals(
  server: Server,
  opts: { timeoutMs: number; logger: Logger; onDrain: () => void },
): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    opts.onDrain();
    opts.logger.info({ signal, timeoutMs: opts.timeoutMs }, 'shutting down');
    setTimeout(() => {
      opts.logger.warn('requests still running at the shutdown deadline; exiting');
      process.exit(1);
    }, opts.timeoutMs).unref();
    server.close(() => {
      opts.logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

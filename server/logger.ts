import type { MiddlewareHandler } from 'hono';
import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout. Request lines carry no headers, but anything that ever logs a request or its
 * headers still never prints a credential.
 */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: ['authorization', 'headers.authorization', 'req.headers.authorization', 'token'],
      censor: '[redacted]',
    },
  });
}

/** A logger that drops everything: the default for apps built in-process by tests and evals. */
export const silentLogger: Logger = pino({ enabled: false });

/**
 * One line per request: method, path (without the query string, which may hold a user's question),
 * status and latency.
 */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    logger.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - t0) * 100) / 100,
      },
      'request',
    );
  };
}

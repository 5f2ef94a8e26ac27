import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { timeout } from 'hono/timeout';
import { FootnoteError } from '../../errors.ts';
import { errorBody } from '../errors.ts';

/**
 * 503 `timeout` when an answer takes longer than `ms`. The clock starts once the request body has arrived:
 * a body that arrives slowly is the request timeout's to end (408 `request_timeout`, REQUEST_TIMEOUT_MS),
 * not an answer that took too long. Install it after the body limit, which bounds what is read here.
 */
export function answerTimeout(ms: number): MiddlewareHandler {
  const message = `no answer within ${ms} ms; retry`;
  const limit = timeout(
    ms,
    () =>
      new HTTPException(503, {
        message,
        res: Response.json(errorBody('timeout', message), { status: 503 }),
      }),
  );
  return async (c, next) => {
    if (c.req.raw.body) {
      // Read once and cached: the validators parse the same bytes afterwards.
      await c.req.arrayBuffer().catch(() => {
        throw new FootnoteError('request_timeout', 'the request did not arrive in time');
      });
    }
    return limit(c, next);
  };
}

import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { FootnoteError } from '../../errors.ts';
import { errorResponse } from '../errors.ts';

/** Past this, an oversized body is not worth reading to the end: the connection is closed instead. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/** Reads and discards the rest of a body; false if it is over `limit` or another reader holds it. */
async function drain(body: ReadableStream<Uint8Array> | null, limit: number): Promise<boolean> {
  if (!body || body.locked) return !body;
  const reader = body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return false;
    }
  }
}

/**
 * 413 for bodies over `maxSize`. A client still uploading when the 413 is sent would see the connection
 * drop (EPIPE) instead of the answer, so the rest of the body is read and discarded first, within
 * bounds; otherwise the response says `Connection: close`.
 */
export function limitBody(
  maxSize: number,
  message: string,
  /** How the 413 is written (the `/v1` app uses OpenAI's error shape). */
  respond: (c: Context, err: FootnoteError) => Response = errorResponse,
): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: async (c) => {
      const drained = await drain(c.req.raw.body, DRAIN_LIMIT).catch(() => false);
      return respond(c, new FootnoteError('payload_too_large', message, drained ? {} : { Connection: 'close' }));
    },
  });
}

import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { codeForStatus, type ErrorCode, FootnoteError } from '../errors.ts';

export function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

export function errorResponse(c: Context, err: FootnoteError): Response {
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json({ error: { ...errorBody(err.code, err.message).error, ...err.details } }, err.status);
}

/**
 * Any thrown value as the error the client sees: ours as they are, Hono's by status (a JSON parse failure
 * named as such), anything else a 500 whose details stay in the log, never in the response.
 */
export function toFootnoteError(err: unknown): FootnoteError {
  if (err instanceof FootnoteError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /JSON/i.test(err.message)) return new FootnoteError('malformed_json', 'malformed JSON in request body');
    return new FootnoteError(codeForStatus(err.status), err.message);
  }
  return new FootnoteError('internal_error', 'internal error');
}

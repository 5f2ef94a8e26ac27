/**
 * Every error code a client can receive, with the HTTP status it travels with: the one catalogue (the README's
 * error table lists the same). The core throws `FootnoteError` by code and knows nothing of HTTP beyond this
 * table; `server/http/errors.ts` turns one into a response.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  malformed_json: 400,
  malformed_request: 400,
  invalid_document: 400,
  unauthorized: 401,
  forbidden: 403,
  admin_disabled: 403,
  not_found: 404,
  model_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  id_taken: 409,
  duplicate_document: 409,
  empty_corpus: 409,
  last_document: 409,
  corpus_mismatch: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  reload_failed: 500,
  not_ready: 503,
  shutting_down: 503,
  index_unavailable: 503,
  timeout: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** A failure the client should hear about: `{ "error": { "code", "message", ...details } }` with its status. */
export class FootnoteError extends Error {
  readonly status: ErrorStatus;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields of the error object, e.g. the id a duplicate document already has. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'FootnoteError';
    this.status = ERROR_STATUS[code];
  }
}

/** The code for a status that another layer (Hono, the body limit) raised without one of its own. */
export function codeForStatus(status: number): ErrorCode {
  const known = Object.entries(ERROR_STATUS).find(([, s]) => s === status);
  return known ? (known[0] as ErrorCode) : status >= 500 ? 'internal_error' : 'invalid_request';
}

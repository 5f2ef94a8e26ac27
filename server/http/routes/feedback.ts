import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { requireApiToken } from '../middleware/api-token.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../config.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { FootnoteError } from '../../errors.ts';
import { clientAddress, rateLimit } from '../middleware/rate-limit.ts';
import { ErrorSchema, FeedbackAcceptedSchema, type FeedbackRequest, FeedbackRequestSchema } from '../schemas.ts';

/** Where feedback goes unless the app is told otherwise (FEEDBACK_FILE overrides). */
export const DEFAULT_FEEDBACK_FILE = 'data/feedback.jsonl';

/** One line of `feedback.jsonl`: what the reader saw, and what they thought of it. */
export interface FeedbackRecord extends FeedbackRequest {
  id: string;
  /** ISO 8601, when the server received it. */
  timestamp: string;
}

/**
 * An append-only JSONL file. Each record is one `appendFile` (a single O_APPEND write of a whole line),
 * and writes are queued one after another, so concurrent requests never interleave within a line.
 */
export class FeedbackLog {
  private queue: Promise<unknown> = Promise.resolve();
  private dirReady: Promise<unknown> | null = null;

  constructor(readonly file: string) {}

  append(record: FeedbackRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.queue.then(async () => {
      this.dirReady ??= mkdir(path.dirname(this.file), { recursive: true });
      await this.dirReady;
      await appendFile(this.file, line, { encoding: 'utf8', flag: 'a' });
    });
    // A failed write fails its own request only; the next one still runs.
    this.queue = write.catch(() => {});
    return write;
  }
}

export interface FeedbackOptions {
  /** Default: $FEEDBACK_FILE, else data/feedback.jsonl. */
  feedbackFile?: string;
  apiToken?: string;
  maxBodyBytes?: number;
  rateLimitPerMinute?: number;
  trustProxy?: boolean;
}

const feedbackPost = createRoute({
  method: 'post',
  path: '/feedback',
  summary: 'Rate an answer (👍 / 👎, optional comment); stored for the evals',
  description:
    'Appends one JSON line (the question, history, answer, citations, rating, comment and a timestamp) to ' +
    'data/feedback.jsonl. `npm run eval -- --from-feedback` turns the 👎 lines into a draft question set.',
  request: { body: { content: { 'application/json': { schema: FeedbackRequestSchema } }, required: true } },
  responses: {
    201: { description: 'Stored', content: { 'application/json': { schema: FeedbackAcceptedSchema } } },
    400: { description: 'Invalid feedback', content: { 'application/json': { schema: ErrorSchema } } },
    401: { description: 'Missing or wrong API token', content: { 'application/json': { schema: ErrorSchema } } },
    413: { description: 'Body over the size limit', content: { 'application/json': { schema: ErrorSchema } } },
    415: { description: 'Not JSON', content: { 'application/json': { schema: ErrorSchema } } },
    429: { description: 'Too many requests', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

/**
 * POST /feedback, behind the same doors as /ask: the API token when one is set, a rate limit per client
 * (its own bucket, at the /ask rate), the body limit and JSON only.
 */
export function registerFeedbackRoute(app: OpenAPIHono, opts: FeedbackOptions): FeedbackLog {
  const log = new FeedbackLog(opts.feedbackFile ?? process.env.FEEDBACK_FILE ?? DEFAULT_FEEDBACK_FILE);
  app.use('/feedback', requireApiToken(opts.apiToken));
  if (opts.rateLimitPerMinute) {
    const trustProxy = opts.trustProxy ?? false;
    app.use('/feedback', rateLimit({ perMinute: opts.rateLimitPerMinute, key: (c) => clientAddress(c, trustProxy) }));
  }
  app.use('/feedback', limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'feedback body is over the size limit'));
  app.use('/feedback', async (c, next) => {
    if (c.req.method === 'POST' && !/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new FootnoteError('unsupported_media_type', 'send feedback as JSON (Content-Type: application/json)');
    }
    await next();
  });
  app.openapi(feedbackPost, async (c) => {
    const body = c.req.valid('json');
    const record: FeedbackRecord = { id: randomUUID(), timestamp: new Date().toISOString(), ...body };
    await log.append(record);
    return c.json({ id: record.id }, 201);
  });
  return log;
}

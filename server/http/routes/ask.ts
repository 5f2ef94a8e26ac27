import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DEFAULT_MAX_BODY_BYTES } from '../../config.ts';
import { FootnoteError } from '../../errors.ts';
import { type EngineState, readyEngine } from '../../live/engine-state.ts';
import { type Logger, silentLogger } from '../../logger.ts';
import { type AskInput, AskResultSchema, type GenerativeAnswerer } from '../../qa/index.ts';
import { answerChunks } from '../answer-chunks.ts';
import { errorBody, toFootnoteError } from '../errors.ts';
import { generativeAnswer } from '../generative-stream.ts';
import { requireApiToken } from '../middleware/api-token.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { AskQuerySchema, AskRequestSchema, ErrorSchema, errorResponses } from '../schemas.ts';

export interface AskOptions {
  state: () => EngineState;
  maxBodyBytes?: number;
  /** When set, `/ask` requires `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  logger?: Logger;
  /** Writes answers with a language model, each sentence verified (LLM_BASE_URL); absent: extractive. */
  llm?: GenerativeAnswerer | null;
}

const askPost = createRoute({
  method: 'post',
  path: '/ask',
  summary: 'Answer a question with cited passages',
  description:
    'Send `Accept: text/event-stream` to stream Server-Sent Events: `citations`, then `delta` ({text}) events, then `done` with the full response; errors arrive as an `error` event.',
  request: { body: { content: { 'application/json': { schema: AskRequestSchema } }, required: true } },
  responses: {
    200: {
      description: 'The answer',
      content: {
        'application/json': { schema: AskResultSchema },
        'text/event-stream': { schema: AskResultSchema },
      },
    },
    413: {
      description: 'Body over the size limit',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    415: { description: 'Not JSON', content: { 'application/json': { schema: ErrorSchema } } },
    ...errorResponses,
  },
});

const askGet = createRoute({
  method: 'get',
  path: '/ask',
  summary: 'Answer a question (query string form, for browsers and curl)',
  request: { query: AskQuerySchema },
  responses: {
    200: { description: 'The answer', content: { 'application/json': { schema: AskResultSchema } } },
    ...errorResponses,
  },
});

function wantsStream(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/event-stream');
}

async function answer(c: Context, opts: AskOptions, input: AskInput) {
  const engine = readyEngine(opts.state());
  // A client that went away (the UI's Stop button aborts its fetch) gets no more work done for it.
  const signal = c.req.raw.signal;
  if (opts.llm) {
    return generativeAnswer(c, engine, opts.llm, input, {
      stream: wantsStream(c),
      logger: opts.logger ?? silentLogger,
      chunks: answerChunks,
      errorEvent: (err) => {
        const e = toFootnoteError(err);
        return JSON.stringify(errorBody(e.code, e.message));
      },
    });
  }
  if (!wantsStream(c)) {
    const { abstainReason: _, ...result } = await engine.ask(input);
    return c.json(result, 200);
  }
  return streamSSE(c, async (stream) => {
    const gone = () => stream.aborted || signal.aborted;
    const abandon = () => (opts.logger ?? silentLogger).debug({ path: c.req.path }, 'client went away: answer abandoned');
    try {
      if (gone()) return abandon();
      const { abstainReason: _, ...result } = await engine.ask(input);
      if (gone()) return abandon();
      await stream.writeSSE({ event: 'citations', data: JSON.stringify(result.citations) });
      for (const text of answerChunks(result.answer)) {
        if (gone()) return abandon();
        await stream.writeSSE({ event: 'delta', data: JSON.stringify({ text }) });
      }
      await stream.writeSSE({ event: 'done', data: JSON.stringify(result) });
    } catch (err) {
      const e = toFootnoteError(err);
      await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(e.code, e.message)) });
    }
  });
}

/** `POST /ask` and `GET /ask?q=`: `guards` (rate limit, answer timeout) are shared with `/v1`. */
export function registerAskRoutes(app: OpenAPIHono, opts: AskOptions, guards: MiddlewareHandler[]): void {
  app.use('/ask', requireApiToken(opts.apiToken));
  // Before the guards: the answer timeout reads the body, within this limit.
  app.use('/ask', limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'request body is over the size limit'));
  for (const guard of guards) app.use('/ask', guard);
  app.use('/ask', async (c, next) => {
    if (c.req.method === 'POST' && !/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new FootnoteError('unsupported_media_type',
        'send the question as JSON (Content-Type: application/json)',
      );
    }
    await next();
  });
  app.openapi(askPost, (c) => answer(c, opts, c.req.valid('json')) as never);
  app.openapi(askGet, (c) => {
    const { q, k } = c.req.valid('query');
    return answer(c, opts, { question: q, k }) as never;
  });
}

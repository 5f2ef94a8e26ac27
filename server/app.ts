import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { registerAdminRoutes } from './admin.ts';
import { hasApiToken, requireApiToken } from './api-token.ts';
import { limitBody } from './body-limit.ts';
import { type DocumentWriter, registerDocumentRoutes } from './documents-api.ts';
import type { AskInput, Engine } from './engine.ts';
import { ApiError, codeForStatus, errorBody, errorResponse } from './errors.ts';
import { answerTimeout } from './handler-timeout.ts';
import { registerFeedbackRoute } from './feedback.ts';
import type { ReloadResult } from './live-engine.ts';
import { type Logger, requestLog, silentLogger } from './logger.ts';
import { createOpenAIApp } from './openai.ts';
import { generativeAnswer } from './generative-http.ts';
import type { GenerativeAnswerer } from './qa/generative.ts';
import { boilerplateRanges, datelineOf } from '../ingest/clean.ts';
import { clientAddress, rateLimit } from './rate-limit.ts';
import {
  AskQuerySchema,
  AskRequestSchema,
  AskResponseSchema,
  DocumentIdParamSchema,
  DocumentListSchema,
  DocumentSchema,
  ErrorSchema,
  HealthSchema,
} from './schemas.ts';
import { loadStaticFiles, type StaticFile } from './static.ts';

/** What the app knows about the index: the engine when loaded, else why not. */
export interface EngineState {
  engine: Engine | null;
  status: 'ok' | 'loading' | 'error';
  message?: string;
  /** The outcome of the last reload: a failed one leaves the previous index serving. */
  lastReload?: { ok: boolean; at: string; error?: string };
}

export interface AppOptions {
  /** Current engine; a function so a reload can swap it without rebuilding the app. */
  state: () => EngineState;
  webDir?: string;
  maxBodyBytes?: number;
  /** When set, `/ask` and `/v1/*` require `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** One line per request; silent when absent. */
  logger?: Logger;
  /** Enables `/admin/*` and the document-changing routes; without it they answer 403. */
  adminToken?: string;
  /** Loads the published index (POST /admin/reload). */
  reload?: () => Promise<ReloadResult>;
  /** The corpus behind the index (POST and DELETE /documents). */
  corpus?: DocumentWriter;
  /** Largest document POST /documents accepts (MAX_DOC_BYTES). */
  maxDocBytes?: number;
  /** Requests per minute per client on /ask; 0 or absent: no limit. */
  rateLimitPerMinute?: number;
  /** Key clients by X-Forwarded-For (set by a trusted reverse proxy) instead of the socket address. */
  trustProxy?: boolean;
  /** Origins allowed to call the API from browsers; absent or empty: none (same origin only). */
  corsOrigins?: string[];
  /** An /ask answer taking longer gets 503 `timeout`. */
  handlerTimeoutMs?: number;
  /** True once shutdown began: new requests get 503 and connections are closed after each response. */
  draining?: () => boolean;
  /** Where POST /feedback appends (default: $FEEDBACK_FILE, else data/feedback.jsonl). */
  feedbackFile?: string;
  /** Writes answers with a language model, each sentence verified (LLM_BASE_URL); absent: extractive. */
  llm?: GenerativeAnswerer | null;
  /** The corpus folder (CORPUS_DIR), from which GET /documents/{id}/file serves original PDFs. */
  corpusDir?: string;
}

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const errorResponses = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  503: { description: 'Index not loaded yet', content: { 'application/json': { schema: ErrorSchema } } },
};

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
        'application/json': { schema: AskResponseSchema },
        'text/event-stream': { schema: AskResponseSchema },
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
    200: { description: 'The answer', content: { 'application/json': { schema: AskResponseSchema } } },
    ...errorResponses,
  },
});

const health = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Readiness: 200 when the index is loaded, 503 otherwise',
  description:
    'With FOOTNOTE_API_TOKEN set, a request without the token gets only `{ status }` (whether the service is up).',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: HealthSchema } } },
  },
});

const listDocuments = createRoute({
  method: 'get',
  path: '/documents',
  summary: 'The indexed documents',
  responses: {
    200: { description: 'Documents', content: { 'application/json': { schema: DocumentListSchema } } },
    503: errorResponses[503],
  },
});

const getDocument = createRoute({
  method: 'get',
  path: '/documents/{id}',
  summary: 'One document with its full text (citation offsets index into it)',
  request: { params: DocumentIdParamSchema },
  responses: {
    200: { description: 'The document', content: { 'application/json': { schema: DocumentSchema } } },
    404: { description: 'No such document', content: { 'application/json': { schema: ErrorSchema } } },
    ...errorResponses,
  },
});

const getDocumentFile = createRoute({
  method: 'get',
  path: '/documents/{id}/file',
  summary: 'The original file of a PDF document (for viewing the cited page)',
  request: { params: DocumentIdParamSchema },
  responses: {
    200: { description: 'The PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
    404: { description: 'No such PDF document', content: { 'application/json': { schema: ErrorSchema } } },
    ...errorResponses,
  },
});

function requireEngine(opts: AppOptions): Engine {
  const s = opts.state();
  if (!s.engine) throw new ApiError(503, 'not_ready', s.message ?? 'the index is not loaded yet');
  return s.engine;
}

/** Splits the answer into small pieces for streaming, keeping each `[n]` marker whole. */
export function answerChunks(answer: string): string[] {
  return answer.match(/\S+\s*/g) ?? [];
}

function wantsStream(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/event-stream');
}

async function answer(c: Context, opts: AppOptions, input: AskInput) {
  const engine = requireEngine(opts);
  // A client that went away (the UI's Stop button aborts its fetch) gets no more work done for it.
  const signal = c.req.raw.signal;
  if (opts.llm) {
    return generativeAnswer(c, engine, opts.llm, input, {
      stream: wantsStream(c),
      logger: opts.logger ?? silentLogger,
      chunks: answerChunks,
      errorEvent: (err) => {
        const e = toApiError(err);
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
      const e = toApiError(err);
      await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(e.code, e.message)) });
    }
  });
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message =
      status === 400 && /JSON/i.test(err.message) ? 'malformed JSON in request body' : err.message;
    return new ApiError(
      status,
      status === 400 && /JSON/i.test(err.message) ? 'malformed_json' : codeForStatus(status),
      message,
    );
  }
  return new ApiError(500, 'internal_error', 'internal error');
}

/** Builds the HTTP app; all state comes in through `opts`, so tests run it in-process or on a socket. */
export function createApp(opts: AppOptions) {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const message = result.error.issues
          .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
          .join('; ');
        return c.json(errorBody('invalid_request', message), 400);
      }
    },
  });
  const files = opts.webDir ? loadStaticFiles(opts.webDir) : new Map<string, StaticFile>();
  const logger = opts.logger ?? silentLogger;

  app.use(requestLog(logger));
  app.use(
    secureHeaders({
      contentSecurityPolicy: undefined,
      referrerPolicy: 'no-referrer',
      xContentTypeOptions: 'nosniff',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
    }),
  );
  app.use(async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
  });
  // gzip/deflate for the UI's files and JSON; never for SSE (its Transfer-Encoding and type exclude it).
  app.use(compress());
  app.use(async (c, next) => {
    if (opts.draining?.()) {
      c.header('Connection', 'close');
      throw new ApiError(503, 'shutting_down', 'the server is shutting down; retry shortly');
    }
    await next();
    // A request that started before shutdown still finishes, but its connection is not kept for another.
    if (opts.draining?.()) c.header('Connection', 'close');
  });
  // Closed by default: without CORS_ORIGINS, browsers only let the server's own pages call it.
  if (opts.corsOrigins?.length) {
    app.use(
      cors({
        origin: opts.corsOrigins,
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['Content-Type', 'Accept'],
      }),
    );
  }
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) => {
        c.header('Allow', allowed.join(', '));
        return c.json(errorBody('method_not_allowed', `use ${allowed.join(' or ')} for ${c.req.path}`), 405);
      },
    }),
  );
  // Guards shared by both doors to the engine: /ask and the OpenAI-compatible /v1/chat/completions.
  const guards: MiddlewareHandler[] = [];
  if (opts.rateLimitPerMinute) {
    const trustProxy = opts.trustProxy ?? false;
    guards.push(rateLimit({ perMinute: opts.rateLimitPerMinute, key: (c) => clientAddress(c, trustProxy) }));
  }
  if (opts.handlerTimeoutMs) guards.push(answerTimeout(opts.handlerTimeoutMs));
  app.use('/ask', requireApiToken(opts.apiToken));
  // Before the guards: the answer timeout reads the body, within this limit.
  app.use('/ask', limitBody(opts.maxBodyBytes ?? 64 * 1024, 'request body is over the size limit'));
  // The corpus text is content too: reading documents needs the API token (changing them, the admin token).
  for (const path of ['/documents', '/documents/*']) {
    const guard = requireApiToken(opts.apiToken);
    app.use(path, (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? guard(c, next) : next()));
  }
  for (const guard of guards) app.use('/ask', guard);
  app.use('/ask', async (c, next) => {
    if (c.req.method === 'POST' && !/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'send the question as JSON (Content-Type: application/json)',
      );
    }
    await next();
  });

  app.route('/v1', createOpenAIApp(opts, guards));
  app.openapi(askPost, (c) => answer(c, opts, c.req.valid('json')) as never);
  app.openapi(askGet, (c) => {
    const { q, k } = c.req.valid('query');
    return answer(c, opts, { question: q, k }) as never;
  });

  registerAdminRoutes(app, opts);
  registerDocumentRoutes(app, { ...opts, maxDocBytes: opts.maxDocBytes ?? 5 * 1024 * 1024 });
  registerFeedbackRoute(app, opts);

  app.openapi(health, (c) => {
    const s = opts.state();
    // Without the API token (when one is set) health says only whether the service is up.
    if (!hasApiToken(opts.apiToken, c.req.header('authorization'))) {
      return c.json({ status: s.status } as z.infer<typeof HealthSchema>, s.engine ? 200 : 503);
    }
    const m = s.engine?.index.manifest;
    const body = {
      status: s.status,
      model: m?.model.id ?? null,
      documents: m?.counts.documents ?? 0,
      passages: m?.counts.passages ?? 0,
      indexCreatedAt: m?.createdAt ?? null,
      mode: opts.llm ? ('generative' as const) : ('extractive' as const),
      llmModel: opts.llm?.model ?? null,
      ...(s.message ? { message: s.message } : {}),
      ...(s.lastReload ? { lastReload: s.lastReload } : {}),
    };
    return c.json(body, s.engine ? 200 : 503);
  });

  app.openapi(listDocuments, (c) => {
    const engine = requireEngine(opts);
    const documents = engine.index.manifest.documents.map((d) => {
      const doc = engine.documents.get(d.docId);
      const date = doc ? datelineOf(doc.text) : null;
      return {
        id: d.docId,
        title: doc?.title ?? d.docId,
        source: d.source,
        passages: d.passages,
        ...(date ? { date } : {}),
      };
    });
    return c.json({ documents }, 200);
  });

  app.openapi(getDocument, (c) => {
    const engine = requireEngine(opts);
    const { id } = c.req.valid('param');
    const doc = engine.documents.get(id);
    if (!doc) throw new ApiError(404, 'not_found', `no document with id "${id}"`);
    const paged = doc.pages ? { pages: doc.pages, file: `/documents/${encodeURIComponent(doc.docId)}/file` } : {};
    const boilerplate = boilerplateRanges(doc.text);
    const date = datelineOf(doc.text);
    const dated = date ? { date } : {};
    return c.json(
      { id: doc.docId, title: doc.title, source: doc.source, text: doc.text, ...dated, ...paged, boilerplate },
      200,
    );
  });

  app.openapi(getDocumentFile, async (c) => {
    const engine = requireEngine(opts);
    const { id } = c.req.valid('param');
    const doc = engine.documents.get(id);
    if (!doc?.pages || extname(doc.source).toLowerCase() !== '.pdf') {
      throw new ApiError(404, 'not_found', `no PDF document with id "${id}"`);
    }
    // The source names the file relative to the corpus folder's parent; only its name is used.
    const file = join(opts.corpusDir ?? dirname(doc.source), basename(doc.source));
    const body = await readFile(file).catch(() => {
      throw new ApiError(404, 'not_found', `the file of "${id}" is no longer in the corpus folder`);
    });
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="${basename(doc.source).replace(/[^\w.-]/g, '_')}"`,
      'Cache-Control': 'private, no-cache',
    }) as never;
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Footnote',
      version: '1.0.0',
      description: 'Answers questions about a corpus of news articles; every claim cites a verbatim passage.',
    },
  });

  const staticEtag = etag();
  for (const [route, file] of files) {
    app.get(route, staticEtag, (c) => {
      // `?v=<version>` URLs (the pages use only those) never change; anything else is revalidated.
      const versioned = c.req.query('v') === file.version && !file.type.startsWith('text/html');
      c.header('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
      return c.body(file.body, 200, { 'Content-Type': file.type });
    });
  }

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => {
    // Middleware such as the timeout carry their complete response.
    if (err instanceof HTTPException && err.res) return err.getResponse();
    const e = toApiError(err);
    if (e.status >= 500) logger.error({ err }, 'request failed');
    return errorResponse(c, e);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

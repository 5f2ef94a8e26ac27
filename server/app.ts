import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AskInput, Engine } from './engine.ts';
import { ApiError, codeForStatus, errorBody, errorResponse } from './errors.ts';
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
}

export interface AppOptions {
  /** Current engine; a function so a reload can swap it without rebuilding the app. */
  state: () => EngineState;
  webDir?: string;
  maxBodyBytes?: number;
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
  if (!wantsStream(c)) {
    const { abstainReason: _, ...result } = await engine.ask(input);
    return c.json(result, 200);
  }
  return streamSSE(c, async (stream) => {
    try {
      const { abstainReason: _, ...result } = await engine.ask(input);
      await stream.writeSSE({ event: 'citations', data: JSON.stringify(result.citations) });
      for (const text of answerChunks(result.answer)) {
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
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) => {
        c.header('Allow', allowed.join(', '));
        return c.json(errorBody('method_not_allowed', `use ${allowed.join(' or ')} for ${c.req.path}`), 405);
      },
    }),
  );
  app.use(
    '/ask',
    bodyLimit({
      maxSize: opts.maxBodyBytes ?? 64 * 1024,
      onError: (c) => c.json(errorBody('payload_too_large', 'request body is over the size limit'), 413),
    }),
  );
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

  app.openapi(askPost, (c) => answer(c, opts, c.req.valid('json')) as never);
  app.openapi(askGet, (c) => {
    const { q, k } = c.req.valid('query');
    return answer(c, opts, { question: q, k }) as never;
  });

  app.openapi(health, (c) => {
    const s = opts.state();
    const m = s.engine?.index.manifest;
    const body = {
      status: s.status,
      model: m?.model.id ?? null,
      documents: m?.counts.documents ?? 0,
      passages: m?.counts.passages ?? 0,
      indexCreatedAt: m?.createdAt ?? null,
      ...(s.message ? { message: s.message } : {}),
    };
    return c.json(body, s.engine ? 200 : 503);
  });

  app.openapi(listDocuments, (c) => {
    const engine = requireEngine(opts);
    const documents = engine.index.manifest.documents.map((d) => ({
      id: d.docId,
      title: engine.documents.get(d.docId)?.title ?? d.docId,
      source: d.source,
      passages: d.passages,
    }));
    return c.json({ documents }, 200);
  });

  app.openapi(getDocument, (c) => {
    const engine = requireEngine(opts);
    const { id } = c.req.valid('param');
    const doc = engine.documents.get(id);
    if (!doc) throw new ApiError(404, 'not_found', `no document with id "${id}"`);
    return c.json({ id: doc.docId, title: doc.title, source: doc.source, text: doc.text }, 200);
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Footnote',
      version: '1.0.0',
      description: 'Answers questions about a corpus of news articles; every claim cites a verbatim passage.',
    },
  });

  for (const [route, file] of files) {
    app.get(route, (c) => {
      if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
      c.header('ETag', file.etag);
      c.header('Cache-Control', 'no-cache');
      return c.body(file.body, 200, { 'Content-Type': file.type });
    });
  }

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => {
    const e = toApiError(err);
    if (e.status >= 500) console.error(err);
    return errorResponse(c, e);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

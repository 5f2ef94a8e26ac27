import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { secureHeaders } from 'hono/secure-headers';
import { FootnoteError } from '../errors.ts';
import type { EngineState } from '../live/engine-state.ts';
import type { ReloadResult } from '../live/live-engine.ts';
import { type Logger, requestLog, silentLogger } from '../logger.ts';
import type { GenerativeAnswerer } from '../qa/index.ts';
import { errorBody, errorResponse, toFootnoteError } from './errors.ts';
import { answerTimeout } from './middleware/handler-timeout.ts';
import { clientAddress, rateLimit } from './middleware/rate-limit.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAskRoutes } from './routes/ask.ts';
import { type DocumentWriter, registerDocumentRoutes } from './routes/documents.ts';
import { registerDocumentReadRoutes } from './routes/documents-read.ts';
import { registerFeedbackRoute } from './routes/feedback.ts';
import { registerHealthRoute } from './routes/health.ts';
import { createOpenAIApp } from './routes/openai.ts';
import { loadStaticFiles, type StaticFile } from './routes/static.ts';

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
      throw new FootnoteError('shutting_down', 'the server is shutting down; retry shortly');
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
  registerAskRoutes(app, opts, guards);
  app.route('/v1', createOpenAIApp(opts, guards));
  registerHealthRoute(app, opts);
  registerAdminRoutes(app, opts);
  registerDocumentReadRoutes(app, opts);
  registerDocumentRoutes(app, { ...opts, maxDocBytes: opts.maxDocBytes ?? 5 * 1024 * 1024 });
  registerFeedbackRoute(app, opts);

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
    const e = toFootnoteError(err);
    if (e.status >= 500) logger.error({ err }, 'request failed');
    return errorResponse(c, e);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

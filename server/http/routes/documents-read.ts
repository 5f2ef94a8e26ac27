import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { boilerplateRanges, datelineOf } from '../../../ingest/clean.ts';
import { FootnoteError } from '../../errors.ts';
import { type EngineState, readyEngine } from '../../live/engine-state.ts';
import { requireApiToken } from '../middleware/api-token.ts';
import { DocumentIdParamSchema, DocumentListSchema, DocumentSchema, ErrorSchema, errorResponses } from '../schemas.ts';

export interface DocumentReadOptions {
  state: () => EngineState;
  apiToken?: string;
  /** The corpus folder (CORPUS_DIR), from which GET /documents/{id}/file serves original PDFs. */
  corpusDir?: string;
}

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

/** `GET /documents`, `/documents/{id}` and `/documents/{id}/file` (adds and deletes: `documents.ts`). */
export function registerDocumentReadRoutes(app: OpenAPIHono, opts: DocumentReadOptions): void {
  // The corpus text is content too: reading documents needs the API token (changing them, the admin token).
  for (const path of ['/documents', '/documents/*']) {
    const guard = requireApiToken(opts.apiToken);
    app.use(path, (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? guard(c, next) : next()));
  }

  app.openapi(listDocuments, (c) => {
    const engine = readyEngine(opts.state());
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
    const engine = readyEngine(opts.state());
    const { id } = c.req.valid('param');
    const doc = engine.documents.get(id);
    if (!doc) throw new FootnoteError('not_found', `no document with id "${id}"`);
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
    const engine = readyEngine(opts.state());
    const { id } = c.req.valid('param');
    const doc = engine.documents.get(id);
    if (!doc?.pages || extname(doc.source).toLowerCase() !== '.pdf') {
      throw new FootnoteError('not_found', `no PDF document with id "${id}"`);
    }
    // The source names the file relative to the corpus folder's parent; only its name is used.
    const file = join(opts.corpusDir ?? dirname(doc.source), basename(doc.source));
    const body = await readFile(file).catch(() => {
      throw new FootnoteError('not_found', `the file of "${id}" is no longer in the corpus folder`);
    });
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="${basename(doc.source).replace(/[^\w.-]/g, '_')}"`,
      'Cache-Control': 'private, no-cache',
    }) as never;
  });
}

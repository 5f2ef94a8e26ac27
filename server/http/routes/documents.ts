import path from 'node:path';
import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import { binaryLimits, decodeText, isBinaryFormat } from '../../../ingest/documents.ts';
import { IndexError } from '../../../store/generations.ts';
import { ADMIN_SECURITY, adminErrorResponses, requireAdmin } from './admin.ts';
import { limitBody } from '../middleware/body-limit.ts';

/** Room for the JSON or multipart framing around a document. */
const FRAMING_BYTES = 64 * 1024;
import type { Corpus, NewDocument } from '../../live/corpus.ts';
import { FootnoteError } from '../../errors.ts';
import {
  AddedDocumentSchema,
  DeletedDocumentSchema,
  DocumentIdParamSchema,
  DuplicateDocumentSchema,
  ErrorSchema,
  NewDocumentFormSchema,
  NewDocumentJsonSchema,
} from '../schemas.ts';

/** What the documents API changes: the corpus folder and files index (Corpus) or the Postgres store (PgCorpus). */
export type DocumentWriter = Pick<Corpus, 'add' | 'remove'>;

export interface DocumentsApiOptions {
  adminToken?: string;
  /** The corpus the server indexes; absent in apps that only read an index. */
  corpus?: DocumentWriter;
  maxDocBytes: number;
}

const FORMAT_BY_EXT: Record<string, NewDocument['format']> = {
  '.txt': 'text',
  '.md': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
};

const json = (schema: typeof ErrorSchema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** `POST /documents` and `DELETE /documents/{id}`: change the corpus of a running server (admin token). */
export function registerDocumentRoutes(app: OpenAPIHono, opts: DocumentsApiOptions): void {
  const guard = requireAdmin(opts.adminToken);
  const add = createRoute({
    method: 'post',
    path: '/documents',
    summary: 'Add a document: stored in the corpus folder (with FOOTNOTE_STORE=postgres, the database), indexed, and answerable at once',
    description:
      'JSON `{ id?, title?, text | html, source? }`, or a multipart upload of a .txt, .md, .html, .pdf or .docx `file` (with optional `id`, `title`, `source` fields; a PDF or Word file keeps its own title). Same text as an existing document: 409 with its id. A PDF that is encrypted or corrupt: 400; over MAX_PDF_PAGES or MAX_FILE_BYTES: 413; without a text layer (a scan): 415.',
    security: [{ [ADMIN_SECURITY]: [] }],
    middleware: [
      guard,
      async (c, next) => {
        if (!/^(application\/json|multipart\/form-data)\b/i.test(c.req.header('content-type') ?? '')) {
          throw new FootnoteError('unsupported_media_type',
            'send the document as JSON (application/json) or as a multipart/form-data upload',
          );
        }
        await next();
      },
      // Room for the JSON or multipart framing around a document of MAX_DOC_BYTES; the document itself is
      // checked exactly once decoded.
      // (PDF and Word uploads may be up to MAX_FILE_BYTES.)
      limitBody(
        Math.max(opts.maxDocBytes, binaryLimits().maxFileBytes) + FRAMING_BYTES,
        'the document is over MAX_DOC_BYTES (PDF and Word files: MAX_FILE_BYTES)',
      ),
    ] as const,
    request: {
      body: {
        content: {
          'application/json': { schema: NewDocumentJsonSchema },
          'multipart/form-data': { schema: NewDocumentFormSchema },
        },
      },
    },
    responses: {
      201: { description: 'Indexed', content: { 'application/json': { schema: AddedDocumentSchema } } },
      400: json(
        ErrorSchema,
        'Invalid request, or a file that cannot be indexed (empty, binary, not UTF-8, an encrypted or corrupt PDF)',
      ),
      ...adminErrorResponses,
      409: {
        description: 'Same text or same id as an existing document',
        content: { 'application/json': { schema: DuplicateDocumentSchema } },
      },
      413: json(ErrorSchema, 'Over MAX_DOC_BYTES (a PDF: over MAX_PDF_PAGES or MAX_FILE_BYTES)'),
      415: json(
        ErrorSchema,
        'Not JSON or multipart, a file type other than .txt, .md, .html, .pdf, .docx, or a PDF without a text layer',
      ),
    },
  });

  const remove = createRoute({
    method: 'delete',
    path: '/documents/{id}',
    summary: 'Remove a document from the corpus folder (with FOOTNOTE_STORE=postgres, the database) and the index',
    security: [{ [ADMIN_SECURITY]: [] }],
    middleware: [guard] as const,
    request: { params: DocumentIdParamSchema },
    responses: {
      200: { description: 'Removed', content: { 'application/json': { schema: DeletedDocumentSchema } } },
      ...adminErrorResponses,
      404: json(ErrorSchema, 'No such document'),
      409: json(ErrorSchema, 'It is the last document (an index needs one)'),
    },
  });

  const corpus = (): DocumentWriter => {
    if (!opts.corpus) throw new FootnoteError('not_found', 'this server does not manage a corpus');
    return opts.corpus;
  };

  app.openapi(add, async (c) => {
    const multipart = /^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '');
    // The validator filled in the part matching the content type.
    const doc = multipart
      ? await fromUpload(c.req.valid('form') as NewDocumentForm, opts.maxDocBytes)
      : fromJson(c.req.valid('json') as NewDocumentJson);
    return c.json(await indexing(() => corpus().add(doc)), 201);
  });

  app.openapi(remove, async (c) =>
    c.json(await indexing(() => corpus().remove(c.req.valid('param').id)), 200),
  );
}

type NewDocumentJson = z.infer<typeof NewDocumentJsonSchema>;
type NewDocumentForm = z.infer<typeof NewDocumentFormSchema>;

function fromJson(body: NewDocumentJson): NewDocument {
  const { text, html, ...meta } = body;
  // Bodies without a JSON content type skip validation, so the text/html rule is checked here too.
  if ((text === undefined) === (html === undefined)) {
    throw new FootnoteError('invalid_request', 'send exactly one of text or html');
  }
  return html !== undefined
    ? { ...meta, body: html, format: 'html' }
    : { ...meta, body: text ?? '', format: 'text' };
}

async function fromUpload(form: NewDocumentForm, maxDocBytes: number): Promise<NewDocument> {
  const { file, ...meta } = form;
  const format = FORMAT_BY_EXT[path.extname(file.name).toLowerCase()];
  if (!format) {
    throw new FootnoteError('unsupported_media_type', 'upload a .txt, .md, .html, .pdf or .docx file');
  }
  const ext = path.extname(file.name).toLowerCase();
  if (isBinaryFormat(ext)) {
    if (file.size > binaryLimits().maxFileBytes) {
      throw new FootnoteError('payload_too_large', 'the file is over MAX_FILE_BYTES');
    }
    // Checked (encrypted, corrupt, no text layer, page limit) when the corpus reads it.
    return { ...meta, body: '', format, file: new Uint8Array(await file.arrayBuffer()), fileName: file.name };
  }
  if (file.size > maxDocBytes) throw new FootnoteError('payload_too_large', 'the file is over MAX_DOC_BYTES');
  const decoded = decodeText(new Uint8Array(await file.arrayBuffer()));
  if ('error' in decoded) throw new FootnoteError('invalid_document', `cannot index it: ${decoded.error}`);
  return { ...meta, body: decoded.text, format, fileName: file.name };
}

/** Index failures are the server's (a lock held too long, a full disk): 5xx with the reason. */
async function indexing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IndexError)
      throw new FootnoteError('index_unavailable', `${err.message}: ${err.hint}`);
    throw err;
  }
}

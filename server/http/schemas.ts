import { z } from '@hono/zod-openapi';
import { ChatTurnSchema } from '../qa/index.ts';

/** One source for request validation, TypeScript types and the OpenAPI description. */

export const MAX_QUESTION_CHARS = 2000;
export const MAX_HISTORY_TURNS = 50;

const question = z
  .string({ error: 'question must be a string' })
  .trim()
  .min(1, 'question must not be empty')
  .max(MAX_QUESTION_CHARS, `question must be at most ${MAX_QUESTION_CHARS} characters`);

const k = z.number().int().min(1, 'k must be between 1 and 20').max(20, 'k must be between 1 and 20');

export const AskRequestSchema = z
  .object({
    question: question.openapi({ example: 'What did Lukashenko say about peace talks?' }),
    history: z
      .array(ChatTurnSchema)
      .max(MAX_HISTORY_TURNS)
      .optional()
      .openapi({ description: 'Earlier turns of the chat, oldest first; used to resolve "he", "it"...' }),
    k: k.optional().openapi({ description: 'Maximum number of citations (1-20, default 5)' }),
    debug: z
      .boolean()
      .optional()
      .openapi({ description: 'Also return the top candidates with their features and probabilities' }),
  })
  .openapi('AskRequest');

export const AskQuerySchema = z.object({
  q: question.openapi({ param: { name: 'q', in: 'query' }, example: 'Who is Hanna Liubakova?' }),
  // Decimal digits only: Number() would also read "0x10", "1e1", " 5" or "5.0".
  k: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'k must be a whole number between 1 and 20, in decimal digits')
    .transform(Number)
    .pipe(k)
    .optional()
    .openapi({
      param: { name: 'k', in: 'query' },
      description: 'Maximum number of citations (1-20, default 5)',
    }),
});

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string(),
    }),
  })
  .openapi('Error');

/** The error responses every engine route documents. */
export const errorResponses = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  503: { description: 'Index not loaded yet', content: { 'application/json': { schema: ErrorSchema } } },
};

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'loading', 'error']),
    model: z.string().nullable(),
    documents: z.number().int(),
    passages: z.number().int(),
    indexCreatedAt: z.string().nullable(),
    mode: z
      .enum(['extractive', 'generative'])
      .optional()
      .openapi({ description: 'generative when a language model writes the answers (LLM_BASE_URL), else extractive' }),
    llmModel: z.string().nullable().optional().openapi({ description: 'The language model (LLM_MODEL), or null' }),
    message: z.string().optional(),
    lastReload: z
      .object({ ok: z.boolean(), at: z.string(), error: z.string().optional() })
      .optional()
      .openapi({ description: 'The last reload; when it failed, the previous index is still served' }),
  })
  .openapi('Health');

export const DocumentSummarySchema = z
  .object({
    id: z.string(),
    title: z.string(),
    source: z.string(),
    passages: z.number().int(),
    date: z.string().optional().openapi({ description: 'A dateline near the top of the document, as written' }),
  })
  .openapi('DocumentSummary');

export const DocumentListSchema = z
  .object({ documents: z.array(DocumentSummarySchema) })
  .openapi('DocumentList');

export const DocumentSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    source: z.string(),
    text: z.string().openapi({ description: 'The full document text; citation offsets index into it' }),
    date: z.string().optional().openapi({ description: 'A dateline near the top of the document, as written' }),
    pages: z.array(z.number().int()).optional().openapi({
      description:
        'PDF documents: the start offset in text of each page (page n runs from pages[n-1] to pages[n])',
    }),
    file: z.string().optional().openapi({
      description: 'PDF documents: the URL of the original file (GET /documents/{id}/file)',
    }),
    boilerplate: z
      .array(z.tuple([z.number().int(), z.number().int()]))
      .openapi({
        description:
          '[start, end) ranges of text that ingestion leaves out as page residue (stray tags, "Leave a Reply", sign-up blurbs): a reader may hide them; offsets are unchanged',
      }),
  })
  .openapi('Document');

export const DocumentIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: '004_ec9c24d3208588b7' }),
});

export type AskRequest = z.infer<typeof AskRequestSchema>;

// Admin and document-changing routes (bearer token: FOOTNOTE_ADMIN_TOKEN).

export const ReloadResultSchema = z
  .object({
    generation: z.string().openapi({ description: 'The index generation now served' }),
    documents: z.number().int(),
    passages: z.number().int(),
    ms: z.number(),
  })
  .openapi('ReloadResult');

/** Ids become file names in the corpus folder, so they are restricted to what ingestion would give. */
export const DOCUMENT_ID = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9_])?$/;

const documentId = z
  .string()
  .regex(
    DOCUMENT_ID,
    'id must be 1-100 characters of A-Z a-z 0-9 . _ - (starting and ending with a letter or digit)',
  );
const documentTitle = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[^\r\n]*$/, 'title must be one line')
  .openapi({ description: 'Stored as the first line (a markdown heading) of the document' });
const documentSource = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .regex(/^[^\r\n]*$/, 'source must be one line')
  .openapi({ description: 'Where the article comes from (e.g. its URL); stored as a `Source:` line' });

export const NewDocumentJsonSchema = z
  .object({
    id: documentId.optional().openapi({ description: 'Default: from the title, else from the text' }),
    title: documentTitle.optional(),
    text: z.string().min(1).optional().openapi({ description: 'Plain text or markdown' }),
    html: z.string().min(1).optional().openapi({ description: 'An HTML page; its text is indexed' }),
    source: documentSource.optional(),
  })
  .refine((d) => (d.text === undefined) !== (d.html === undefined), 'send exactly one of text or html')
  .openapi('NewDocument');

export const NewDocumentFormSchema = z
  .object({
    file: z
      .custom<File>((v) => v instanceof File, 'file must be an uploaded .txt, .md, .html, .pdf or .docx file')
      .openapi({ type: 'string', format: 'binary' }),
    id: documentId.optional(),
    title: documentTitle.optional(),
    source: documentSource.optional(),
  })
  .openapi('NewDocumentUpload');

export const AddedDocumentSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    source: z.string().openapi({ description: 'The file in the corpus folder' }),
    passages: z.number().int(),
    ms: z.number().openapi({ description: 'Time taken to store and index it' }),
  })
  .openapi('AddedDocument');

export const DeletedDocumentSchema = z
  .object({ id: z.string(), deleted: z.literal(true), ms: z.number() })
  .openapi('DeletedDocument');

export const DuplicateDocumentSchema = z
  .object({
    error: z.object({
      code: z.enum(['duplicate_document', 'id_taken']),
      message: z.string(),
      existingId: z.string(),
    }),
  })
  .openapi('DuplicateDocument');

// Feedback on answers (POST /feedback): stored in data/feedback.jsonl, turned into eval drafts.

export const MAX_FEEDBACK_COMMENT_CHARS = 2000;

export const FeedbackCitationSchema = z
  .object({
    marker: z.number().int(),
    docId: z.string().max(200),
    source: z.string().max(1000),
    title: z.string().max(1000),
    start: z.number().int().min(0),
    end: z.number().int().min(0),
    quote: z.string().max(20_000),
  })
  .openapi('FeedbackCitation');

export const FeedbackRequestSchema = z
  .object({
    rating: z.enum(['up', 'down']).openapi({ description: '👍 (`up`) or 👎 (`down`)' }),
    comment: z
      .string()
      .trim()
      .max(MAX_FEEDBACK_COMMENT_CHARS, `comment must be at most ${MAX_FEEDBACK_COMMENT_CHARS} characters`)
      .optional()
      .openapi({ description: 'What was wrong or good, in the reader’s words' }),
    question: question.openapi({ description: 'The question that was answered' }),
    history: z.array(ChatTurnSchema).max(MAX_HISTORY_TURNS).optional(),
    answer: z.string().max(20_000).openapi({ description: 'The answer as shown, with its [n] markers' }),
    abstained: z.boolean().optional(),
    citations: z.array(FeedbackCitationSchema).max(20).default([]),
  })
  .openapi('FeedbackRequest');

export const FeedbackAcceptedSchema = z
  .object({ id: z.string().openapi({ description: 'The id of the stored feedback line' }) })
  .openapi('FeedbackAccepted');

export type FeedbackRequest = z.infer<typeof FeedbackRequestSchema>;

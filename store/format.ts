import { z } from 'zod';

/** One article as stored in the index: the original file text, so offsets stay valid even if the file changes. */
export const DocumentRecordSchema = z.object({
  docId: z.string().min(1),
  /** Path of the source file relative to the corpus folder's parent (e.g. `seeds/001.txt`). */
  source: z.string(),
  title: z.string(),
  /** The original file's characters, exactly as read (UTF-8 decoded). */
  text: z.string(),
  /** sha256 of `text`. */
  hash: z.string(),
  /** Paginated documents (PDF): the start offset in `text` of each page, in page order. */
  pages: z.array(z.number().int().nonnegative()).optional(),
});
export type DocumentRecord = z.infer<typeof DocumentRecordSchema>;

/** A citable span of a document: `text === document.text.slice(start, end)`, always. */
export const PassageSchema = z.object({
  /** Stable id: `${docId}:${ordinal}`. */
  id: z.string(),
  docId: z.string(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  text: z.string(),
  /** Sentence boundaries inside the passage, as [start, end] offsets into the document. */
  sentences: z.array(z.tuple([z.number().int(), z.number().int()])),
  /** sha256 of `text`: the embedding cache key together with the model id. */
  hash: z.string(),
});
export type Passage = z.infer<typeof PassageSchema>;

/** A passage as a plain object, fields in passages.jsonl's order (a loaded passage makes some when read). */
export const plainPassage = ({ id, docId, start, end, text, sentences, hash }: Passage): Passage => ({
  id,
  docId,
  start,
  end,
  text,
  sentences,
  hash,
});

/** A document as a plain object, fields in documents.jsonl's order (a loaded document decodes its text when read). */
export const plainDocument = ({ docId, source, title, text, hash, pages }: DocumentRecord): DocumentRecord => ({
  docId,
  source,
  title,
  text,
  hash,
  ...(pages ? { pages } : {}),
});

export const ChunkingSchema = z.object({
  maxChars: z.number().int().positive(),
  maxSentences: z.number().int().positive(),
  /** A paragraph shorter than this is joined with the next one. */
  minChars: z.number().int().nonnegative(),
});
export type Chunking = z.infer<typeof ChunkingSchema>;

export const HnswParamsSchema = z.object({
  space: z.literal('cosine'),
  m: z.number().int().positive(),
  efConstruction: z.number().int().positive(),
  efSearch: z.number().int().positive(),
});
export type HnswParams = z.infer<typeof HnswParamsSchema>;

export const ManifestSchema = z.object({
  formatVersion: z.literal(1),
  model: z.object({ id: z.string(), dimensions: z.number().int().positive() }),
  chunking: ChunkingSchema,
  hnsw: HnswParamsSchema,
  documents: z.array(
    z.object({ docId: z.string(), source: z.string(), hash: z.string(), passages: z.number().int() }),
  ),
  counts: z.object({ documents: z.number().int(), passages: z.number().int() }),
  createdAt: z.string(),
  /**
   * Size and sha256 of every other file of the generation, checked before loading: a flipped bit in
   * hnsw.bin can crash the native HNSW reader instead of failing cleanly. Optional for older indexes.
   */
  files: z.record(z.string(), z.object({ bytes: z.number().int(), sha256: z.string() })).optional(),
  /**
   * The persisted BM25 index (lexical.bin) and the tokenizer it was built with; a server whose tokenizer
   * differs rebuilds it from the passages. Absent in older indexes.
   */
  lexical: z.object({ file: z.string(), tokenizer: z.string() }).optional(),
  /**
   * Set on a generation written by an add or delete (store/index-changes.ts): its other files are those of
   * an earlier generation (`base` counts), and `file` lists the `count` changes to replay on top of them.
   */
  changes: z
    .object({
      file: z.string(),
      count: z.number().int(),
      base: z.object({ documents: z.number().int(), passages: z.number().int() }),
    })
    .optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

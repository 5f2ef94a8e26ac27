import { z } from 'zod';
import type { PassageRef } from './metrics.ts';
import type { ChatMessage } from './schema.ts';

/**
 * The engine's answer contract (in-process `Engine.ask` and HTTP `POST /ask` return the same object).
 * Mirrored here rather than imported from `server/` so a contract drift shows up as a per-question error
 * instead of a crashed run.
 */
export const CitationSchema = z.object({
  marker: z.number(),
  docId: z.string(),
  source: z.string(),
  title: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  text: z.string(),
  quote: z.string(),
  score: z.number(),
});
export type Citation = z.infer<typeof CitationSchema>;

/** With `debug: true`, the scorer's top candidates (optional: a server without it still evaluates). */
export const CandidateSchema = z.object({
  source: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  text: z.string(),
  probability: z.number(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

export const AskResponseSchema = z.object({
  answer: z.string(),
  abstained: z.boolean(),
  citations: z.array(CitationSchema),
  timings: z.object({ retrieveMs: z.number(), answerMs: z.number(), totalMs: z.number() }),
  debug: z.object({ candidates: z.array(CandidateSchema) }).optional(),
});
export type AskResponse = z.infer<typeof AskResponseSchema>;

export const RETRIEVAL_MODES = ['bm25', 'dense', 'hybrid'] as const;
export type RetrievalMode = (typeof RETRIEVAL_MODES)[number];

export const RetrievedSchema = z.array(
  z.object({
    passage: z.object({
      id: z.string(),
      docId: z.string(),
      start: z.number().int(),
      end: z.number().int(),
      text: z.string(),
    }),
    score: z.number(),
  }),
);

export interface AskRequest {
  question: string;
  history?: ChatMessage[];
  /** Ask for the scorer's candidates, so a failure can show the chosen one beside the gold one. */
  debug?: boolean;
}

/** What the runner needs from whatever answers questions: the in-process engine or a server over HTTP. */
export interface Target {
  readonly description: string;
  ask(req: AskRequest): Promise<AskResponse>;
  /** Full text of a document, for the verbatim check. */
  documentText(citation: Citation): Promise<string>;
  /** Only in-process (HTTP exposes no retrieval endpoint); passages carry their source file for scoring. */
  retrieve?(
    query: string,
    opts: { mode: RetrievalMode; k: number; history?: ChatMessage[] },
  ): Promise<PassageRef[]>;
  close(): Promise<void>;
}

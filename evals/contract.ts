import { z } from 'zod';
import { AskResultSchema, CitationSchema as CoreCitationSchema } from '../server/qa/index.ts';
import type { ChatMessage } from './schema.ts';

/**
 * The answer contract as the runner reads it: derived from the engine's own schemas (`server/qa/contract.ts`),
 * keeping only what scoring needs, so a server that adds fields still evaluates and one that drifts from the
 * contract shows up as a per-question error instead of a crashed run.
 */
export const CitationSchema = CoreCitationSchema.pick({
  marker: true,
  docId: true,
  source: true,
  title: true,
  start: true,
  end: true,
  text: true,
  quote: true,
  score: true,
});
export type Citation = z.infer<typeof CitationSchema>;

const CoreCandidateSchema = AskResultSchema.shape.debug.unwrap().shape.candidates.element;
/** With `debug: true`, the scorer's top candidates (optional: a server without it still evaluates). */
export const CandidateSchema = CoreCandidateSchema.pick({ source: true, start: true, end: true, text: true, probability: true });
export type Candidate = z.infer<typeof CandidateSchema>;

export const AskResponseSchema = AskResultSchema.pick({ answer: true, abstained: true, timings: true }).extend({
  citations: z.array(CitationSchema),
  debug: z.object({ candidates: z.array(CandidateSchema) }).optional(),
});
export type AskResponse = z.infer<typeof AskResponseSchema>;

/** Anything citable or retrieved: a span of a source file plus its text. */
export interface PassageRef {
  source: string;
  start: number;
  end: number;
  text: string;
}

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

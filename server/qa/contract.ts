import { z } from 'zod';

/**
 * The answer contract, one source for the engine's types, the HTTP validation and the OpenAPI description
 * (`.meta` is read by @hono/zod-openapi, so this file needs nothing from Hono).
 */

export const ChatTurnSchema = z
  .object({
    role: z.enum(['user', 'assistant']),
    content: z.string().max(20_000),
  })
  .meta({ id: 'ChatTurn' });

export const CitationSchema = z
  .object({
    marker: z.number().int().meta({ description: 'The n of the [n] marker(s) in the answer' }),
    docId: z.string(),
    source: z.string().meta({ description: 'Source file, relative to the corpus folder parent' }),
    title: z.string(),
    start: z.number().int().meta({ description: 'Passage start offset in the document text' }),
    end: z.number().int(),
    text: z.string().meta({ description: 'The passage: exactly document.text.slice(start, end)' }),
    quote: z.string().meta({ description: 'The supporting sentence(s): an exact substring of text' }),
    score: z.number(),
    page: z
      .number()
      .int()
      .optional()
      .meta({ description: 'PDF sources: the page (1-based) the quote starts on' }),
    pageEnd: z
      .number()
      .int()
      .optional()
      .meta({ description: 'PDF sources: the page the quote ends on, when it crosses onto another page' }),
  })
  .meta({ id: 'Citation' });

export const AskResultSchema = z
  .object({
    answer: z.string(),
    abstained: z.boolean().meta({
      description: 'true when the articles do not support an answer; citations are then the closest passages',
    }),
    citations: z.array(CitationSchema),
    answerSpan: z
      .object({ text: z.string(), docId: z.string(), start: z.number().int(), end: z.number().int() })
      .optional()
      .meta({
        description:
          'The short answer (a date, a quantity, a name, a place) for who/when/where/how-many/which questions: text === document.slice(start, end)',
      }),
    confidence: z.number().meta({
      description: 'Probability (trained scorer) that the answer, or on abstention the best candidate, answers the question',
    }),
    timings: z.object({ retrieveMs: z.number(), answerMs: z.number(), totalMs: z.number() }),
    mode: z.enum(['extractive', 'generative']).optional().meta({
      description:
        'With a language model configured: generative when the model wrote the answer, extractive when it fell back',
    }),
    sentences: z
      .array(
        z.object({
          text: z.string().meta({ description: 'The sentence as shown, with its markers' }),
          markers: z.array(z.number().int()),
          supported: z.boolean().meta({ description: 'Verified against the cited passages' }),
          reason: z.string().optional().meta({ description: 'Why it is not supported (LLM_UNSUPPORTED=flag)' }),
        }),
      )
      .optional()
      .meta({ description: 'Generative answers: each sentence and its verification' }),
    fallbackReason: z
      .enum([
        'llm_timeout',
        'llm_rate_limited',
        'llm_error',
        'llm_unreachable',
        'llm_empty_reply',
        'llm_abstained',
        'no_supported_sentence',
        'no_passages',
      ])
      .optional()
      .meta({ description: 'Why the answer is the extractive one although a language model is configured' }),
    debug: z
      .object({
        abstainReason: z.string().nullable(),
        candidates: z.array(
          z.object({
            docId: z.string(),
            source: z.string(),
            start: z.number().int(),
            end: z.number().int(),
            text: z.string(),
            probability: z.number(),
            features: z.record(z.string(), z.number()),
            contributions: z.record(z.string(), z.number()),
          }),
        ),
      })
      .optional()
      .meta({ description: 'With debug: true, the top candidates and why' }),
  })
  .meta({ id: 'AskResponse' });

export type ChatTurn = z.infer<typeof ChatTurnSchema>;
export type Citation = z.infer<typeof CitationSchema>;
export type AskResult = z.infer<typeof AskResultSchema>;
export type AnswerSpan = NonNullable<AskResult['answerSpan']>;
export type CandidateView = NonNullable<AskResult['debug']>['candidates'][number];

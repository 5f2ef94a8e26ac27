/**
 * The answering core's face: everything outside `server/qa/` (HTTP, the live engine, evals, bench) imports
 * from here. Nothing in the core knows about HTTP; training tools (`evals/train.ts`) alone reach inside, for
 * the features and the scorer they fit.
 */
import type { GenerativeAnswerer } from './generative.ts';
import type { LlmConfig } from './llm-config.ts';

export {
  type AnswerSpan,
  AskResultSchema,
  type AskResult,
  type CandidateView,
  type ChatTurn,
  ChatTurnSchema,
  type Citation,
  CitationSchema,
} from './contract.ts';
export { type AskInput, DEFAULT_K, Engine, embedderInThisThread, loadEngine } from './engine.ts';
export type { AnswerResponse, FallbackReason, GenerativeAnswerer, GenerativeOutcome, SentenceReport } from './generative.ts';
export { type LlmConfig, llmConfigFromEnv } from './llm-config.ts';
export { analyseQuestion } from './question.ts';
export { bm25Weights, type ExpandedTerm, type RetrievalMode, type Retrieved, Retriever } from './retrieve.ts';
export { wordNet } from './wordnet.ts';
export { loadInflections } from './inflections.ts';

/**
 * LLM mode's answerer, loaded on demand: LangChain's OpenAI client is about a second of a cold start's
 * imports, paid only when LLM_BASE_URL is set.
 */
export async function createGenerativeAnswerer(config: LlmConfig): Promise<GenerativeAnswerer> {
  return new (await import('./generative.ts')).GenerativeAnswerer(config);
}

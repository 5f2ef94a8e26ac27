import { z } from 'zod';
import { parseEnv } from '../../ingest/config.ts';

/** What to do with a sentence its citation does not support: remove it, or keep it marked as unverified. */
export type UnsupportedPolicy = 'drop' | 'flag';

/** A language model reachable through an OpenAI-compatible API (Ollama, llama.cpp, vLLM, LM Studio, OpenAI). */
export interface LlmConfig {
  baseURL: string;
  model: string;
  /** Sent as `Authorization: Bearer`; local servers need none. */
  apiKey?: string;
  /** The whole model reply must arrive within this, else the extractive answer is served. */
  timeoutMs: number;
  unsupported: UnsupportedPolicy;
}

export const DEFAULT_LLM_TIMEOUT_MS = 20_000;

const optional = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

export const LlmEnvSchema = z
  .object({
    LLM_BASE_URL: optional.pipe(z.url('must be a URL such as http://127.0.0.1:11434/v1').optional()),
    LLM_MODEL: optional,
    LLM_API_KEY: optional,
    LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_LLM_TIMEOUT_MS),
    LLM_UNSUPPORTED: z.enum(['drop', 'flag']).default('drop'),
  })
  .refine((e) => !e.LLM_BASE_URL || e.LLM_MODEL, {
    message: 'LLM_MODEL must name the model when LLM_BASE_URL is set',
    path: ['LLM_MODEL'],
  });

/** The model to write answers with, or null (LLM_BASE_URL unset): answers stay extractive. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | null {
  const e = parseEnv(LlmEnvSchema, env);
  if (!e.LLM_BASE_URL || !e.LLM_MODEL) return null;
  return {
    baseURL: e.LLM_BASE_URL.replace(/\/+$/, ''),
    model: e.LLM_MODEL,
    ...(e.LLM_API_KEY ? { apiKey: e.LLM_API_KEY } : {}),
    timeoutMs: e.LLM_TIMEOUT_MS,
    unsupported: e.LLM_UNSUPPORTED,
  };
}

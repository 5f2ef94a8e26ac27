import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../ingest/config.ts';
import { llmConfigFromEnv } from './llm-config.ts';

describe('llmConfigFromEnv', () => {
  it('is null without LLM_BASE_URL: answers stay extractive', () => {
    expect(llmConfigFromEnv({})).toBeNull();
    expect(llmConfigFromEnv({ LLM_BASE_URL: '', LLM_MODEL: 'llama3.1' })).toBeNull();
  });

  it('reads the model, key, timeout and policy, with defaults', () => {
    expect(llmConfigFromEnv({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1/', LLM_MODEL: 'llama3.1' })).toEqual({
      baseURL: 'http://127.0.0.1:11434/v1',
      model: 'llama3.1',
      timeoutMs: 20_000,
      unsupported: 'drop',
    });
    expect(
      llmConfigFromEnv({
        LLM_BASE_URL: 'https://api.openai.com/v1',
        LLM_MODEL: 'gpt-4o-mini',
        LLM_API_KEY: 'sk-test',
        LLM_TIMEOUT_MS: '5000',
        LLM_UNSUPPORTED: 'flag',
      }),
    ).toEqual({
      baseURL: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKey: 'sk-test',
      timeoutMs: 5000,
      unsupported: 'flag',
    });
  });

  it('refuses a base URL without a model, a bad URL, policy or timeout', () => {
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(/LLM_MODEL/);
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: 'not a url', LLM_MODEL: 'm' })).toThrow(ConfigError);
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: 'http://x/v1', LLM_MODEL: 'm', LLM_UNSUPPORTED: 'hide' })).toThrow(
      /LLM_UNSUPPORTED/,
    );
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: 'http://x/v1', LLM_MODEL: 'm', LLM_TIMEOUT_MS: '0' })).toThrow(
      /LLM_TIMEOUT_MS/,
    );
  });
});

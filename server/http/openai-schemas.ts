import { z } from '@hono/zod-openapi';
import { CitationSchema } from '../qa/index.ts';

/**
 * The subset of the OpenAI chat completions API that Footnote serves. Objects are loose because clients
 * send many fields Footnote has no use for (temperature, top_p, max_tokens, tools, seed...): rejecting
 * them would break those clients, and answers are extractive, so sampling settings have no meaning.
 */

export const MODEL_ID = 'footnote';

const TextPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });

export const ChatMessageSchema = z
  .looseObject({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z
      .union([z.string(), z.array(TextPartSchema)], {
        error: 'content must be a string or an array of {"type": "text", "text": ...} parts',
      })
      .nullable()
      .optional(),
  })
  .openapi('ChatMessage');

export const ChatCompletionRequestSchema = z
  .looseObject({
    model: z.string().default(MODEL_ID).openapi({ example: MODEL_ID }),
    messages: z.array(ChatMessageSchema).min(1, 'messages must not be empty').openapi({
      description:
        'The last user message is the question; earlier user/assistant messages are the chat history. System, developer and tool messages are ignored.',
    }),
    stream: z.boolean().nullable().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
    n: z.literal(1, { error: 'only n=1 is supported' }).nullable().optional(),
  })
  .openapi('ChatCompletionRequest', {
    description:
      'Any model name is accepted and echoed. Sampling fields (temperature, top_p, max_tokens, stop, seed, tools...) are accepted and ignored.',
  });

const UsageSchema = z
  .object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
  })
  .openapi('ChatUsage', { description: 'Approximate: words and punctuation marks, not model tokens' });

/** Footnote's additions to OpenAI's shapes: clients that don't know them still get readable sources. */
const footnoteFields = {
  citations: z.array(CitationSchema).openapi({ description: 'The same citations as POST /ask returns' }),
  abstained: z.boolean().openapi({ description: 'true when the articles do not support an answer' }),
};

export const ChatCompletionSchema = z
  .object({
    id: z.string().openapi({ example: 'chatcmpl-0b8f...' }),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().openapi({ description: 'The answer with [n] markers, then a Sources list' }),
          refusal: z.null(),
        }),
        finish_reason: z.literal('stop'),
        logprobs: z.null(),
      }),
    ),
    usage: UsageSchema,
    ...footnoteFields,
  })
  .openapi('ChatCompletion', {
    description:
      'With "stream": true, Server-Sent Events of chat.completion.chunk objects (the first carries citations and abstained), ending with data: [DONE]',
  });

export const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.number().int(),
    owned_by: z.string(),
  })
  .openapi('Model');

export const ModelListSchema = z
  .object({ object: z.literal('list'), data: z.array(ModelSchema) })
  .openapi('ModelList');

export const ModelParamSchema = z.object({
  model: z.string().openapi({ param: { name: 'model', in: 'path' }, example: MODEL_ID }),
});

export const OpenAIErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().openapi({ example: 'invalid_request_error' }),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi('OpenAIError');

export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { streamSSE } from 'hono/streaming';
import type { AskInput, ChatTurn, Citation, Engine, GenerativeAnswerer } from '../../qa/index.ts';
import { requireApiToken } from '../middleware/api-token.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../config.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { type EngineState, readyEngine } from '../../live/engine-state.ts';
import { answerChunks } from '../answer-chunks.ts';
import { answerUnlessGone } from '../generative-stream.ts';
import { type ErrorCode, FootnoteError } from '../../errors.ts';
import { toFootnoteError } from '../errors.ts';
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
  type ChatMessage,
  MODEL_ID,
  ModelListSchema,
  ModelParamSchema,
  ModelSchema,
  OpenAIErrorSchema,
} from '../openai-schemas.ts';
import { MAX_HISTORY_TURNS, MAX_QUESTION_CHARS } from '../schemas.ts';

/** A FootnoteError that also names the offending request field, as OpenAI's errors do. */
class OpenAIError extends FootnoteError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(code, message);
  }
}

const errorContent = { 'application/json': { schema: OpenAIErrorSchema } };

const chatCompletions = createRoute({
  method: 'post',
  path: '/chat/completions',
  summary: 'OpenAI-compatible chat: the answer to the last user message, with citations',
  request: {
    body: { content: { 'application/json': { schema: ChatCompletionRequestSchema } }, required: true },
  },
  responses: {
    200: {
      description: 'The answer (a chat.completion, or chat.completion.chunk events when streaming)',
      content: {
        'application/json': { schema: ChatCompletionSchema },
        'text/event-stream': { schema: ChatCompletionSchema },
      },
    },
    400: { description: 'Invalid request', content: errorContent },
    401: { description: 'Missing or wrong API token', content: errorContent },
    413: { description: 'Body over the size limit', content: errorContent },
    415: { description: 'Not JSON', content: errorContent },
    503: { description: 'Index not loaded yet', content: errorContent },
  },
});

const listModels = createRoute({
  method: 'get',
  path: '/models',
  summary: 'OpenAI-compatible model list (one model: footnote)',
  responses: { 200: { description: 'Models', content: { 'application/json': { schema: ModelListSchema } } } },
});

const getModel = createRoute({
  method: 'get',
  path: '/models/{model}',
  summary: 'OpenAI-compatible model lookup',
  request: { params: ModelParamSchema },
  responses: {
    200: { description: 'The model', content: { 'application/json': { schema: ModelSchema } } },
    404: { description: 'No such model', content: errorContent },
  },
});

function errorJson(c: Context, err: FootnoteError): Response {
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  // OpenAI reports a bad key as an invalid request with code invalid_api_key; clients key off the status.
  const code = err.status === 401 ? 'invalid_api_key' : err.status === 429 ? 'rate_limit_exceeded' : err.code;
  const type = err.status >= 500 ? 'server_error' : err.status === 429 ? 'requests' : 'invalid_request_error';
  const param = err instanceof OpenAIError ? err.param : null;
  return c.json({ error: { message: err.message, type, param, code } }, err.status);
}

const textOf = (m: ChatMessage): string =>
  typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join('\n');

const isTurn = (m: ChatMessage): m is ChatMessage & { role: ChatTurn['role'] } =>
  m.role === 'user' || m.role === 'assistant';

/** The last user message is the question; the user/assistant turns before it are the history. */
export function toAskInput(messages: ChatMessage[]): AskInput {
  const turns = messages.filter(isTurn);
  const last = turns.findLastIndex((m) => m.role === 'user');
  const lastUser = turns[last];
  if (!lastUser) {
    throw new OpenAIError('invalid_request', 'messages must include a user message', 'messages');
  }
  const question = textOf(lastUser).trim();
  if (!question || question.length > MAX_QUESTION_CHARS) {
    const message = `the last user message must have 1 to ${MAX_QUESTION_CHARS} characters of text`;
    throw new OpenAIError('invalid_request', message, 'messages');
  }
  // Long chats keep working: only the most recent turns can matter to a follow-up question.
  const history = turns
    .slice(0, last)
    .slice(-MAX_HISTORY_TURNS)
    .map((m) => ({ role: m.role, content: textOf(m) }));
  return { question, history };
}

/**
 * A plain-text source list to follow the answer, so that chat clients unaware of the `citations` field
 * still show where each [n] comes from. Abstentions list related articles without markers: they don't
 * support anything.
 */
export function sourceList(abstained: boolean, citations: Citation[]): string {
  if (citations.length === 0) return '';
  if (abstained) {
    const related = new Map(citations.map((c) => [c.docId, `- ${c.title} — ${c.source}`]));
    return `\n\nRelated:\n${[...related.values()].join('\n')}`;
  }
  // PDF sources say the page the quote is on.
  const page = (c: Citation) => (c.page ? (c.pageEnd ? `, pp. ${c.page}–${c.pageEnd}` : `, p. ${c.page}`) : '');
  const sources = citations.map((c) => `[${c.marker}] ${c.title} — ${c.source}${page(c)}`);
  return `\n\nSources:\n${sources.join('\n')}`;
}

/** Words and punctuation marks: a stand-in for model tokens, which Footnote doesn't have. */
const countTokens = (s: string) => s.match(/\w+|[^\w\s]/g)?.length ?? 0;

/** Builds the `/v1` sub-app; errors inside it, 404 and 405 included, take OpenAI's error shape. */
/** The /v1 app; `guards` (rate limit, timeout) run before a completion, their errors in OpenAI's shape. */
export interface OpenAIOptions {
  state: () => EngineState;
  maxBodyBytes?: number;
  /** When set, every `/v1` route requires `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** A language model writes verified answers (LLM_BASE_URL); else they are extractive. */
  llm?: GenerativeAnswerer | null;
}

export function createOpenAIApp(
  opts: OpenAIOptions,
  guards: MiddlewareHandler[] = [],
) {
  const v1 = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        // OpenAI names fields like messages[0].content.
        const param = (issue?.path ?? []).reduce<string>(
          (name, p) => (typeof p === 'number' ? `${name}[${p}]` : name ? `${name}.${String(p)}` : String(p)),
          '',
        );
        const message = `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid request'}`;
        return errorJson(c, new OpenAIError('invalid_request', message, param || null));
      }
    },
  });

  v1.use(requireApiToken(opts.apiToken));
  v1.use(
    methodNotAllowed({
      app: v1,
      onMethodNotAllowed: (c, allowed) => {
        c.header('Allow', allowed.join(', '));
        const message = `use ${allowed.join(' or ')} for ${c.req.path}`;
        return errorJson(c, new FootnoteError('method_not_allowed', message));
      },
    }),
  );
  v1.use(
    '/chat/completions',
    limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'request body is over the size limit', errorJson),
  );

  for (const guard of guards) v1.use('/chat/completions', guard);

  v1.openapi(chatCompletions, async (c) => {
    const body = c.req.valid('json');
    const engine = readyEngine(opts.state());
    const input = toAskInput(body.messages);
    // With a language model (LLM_BASE_URL): the same verified answers as /ask.
    if (opts.llm && body.stream) return generativeStream(c, engine, opts.llm, input, body) as never;
    const outcome = opts.llm ? await answerUnlessGone(opts.llm, engine, input, c.req.raw.signal) : null;
    if (opts.llm && !outcome) return c.body(null, 204) as never;
    const generated = outcome?.response ?? null;
    const { answer, abstained, citations } = generated ?? (await engine.ask(input));
    const verified = generated
      ? { mode: generated.mode, sentences: generated.sentences, fallbackReason: generated.fallbackReason }
      : {};
    const sources = sourceList(abstained, citations);
    const content = answer + sources;
    const prompt_tokens = body.messages.reduce((n, m) => n + countTokens(textOf(m)), 0);
    const completion_tokens = countTokens(content);
    const usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
    const { id, created, includeUsage, chunk, delta } = completionChunks(body);
    if (!body.stream) {
      const message = { role: 'assistant' as const, content, refusal: null };
      const choices = [{ index: 0, message, finish_reason: 'stop' as const, logprobs: null }];
      const object = 'chat.completion' as const;
      return c.json({ id, object, created, model: body.model, choices, usage, citations, abstained, ...verified }, 200);
    }
    return streamSSE(c, async (stream) => {
      const first = delta({ role: 'assistant', content: '' });
      await stream.writeSSE({ data: chunk(first, { citations, abstained }) });
      // Word by word, as a model would write it; the source list comes whole.
      const pieces = [...answerChunks(answer), ...(sources ? [sources] : [])];
      for (const text of pieces) await stream.writeSSE({ data: chunk(delta({ content: text })) });
      await stream.writeSSE({ data: chunk(delta({}, 'stop')) });
      if (includeUsage) await stream.writeSSE({ data: chunk([], { usage }) });
      await stream.writeSSE({ data: '[DONE]' });
    }) as never;
  });

  const model = () => ({
    id: MODEL_ID,
    object: 'model' as const,
    // The model is the index, so its creation time is the index's (0 while none is loaded).
    created: Math.floor(Date.parse(opts.state().engine?.index.manifest.createdAt ?? '') / 1000) || 0,
    owned_by: 'footnote',
  });

  v1.openapi(listModels, (c) => c.json({ object: 'list' as const, data: [model()] }, 200));
  v1.openapi(getModel, (c) => {
    const { model: id } = c.req.valid('param');
    if (id !== MODEL_ID) {
      throw new OpenAIError('model_not_found', `The model '${id}' does not exist`, 'model');
    }
    return c.json(model(), 200);
  });

  // Mounted sub-apps fall through to the parent's notFound, which speaks Footnote's error shape.
  v1.all('*', (c) =>
    errorJson(c, new FootnoteError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  );
  v1.onError((err, c) => errorJson(c, toFootnoteError(err)));
  return v1;
}

/** One completion's id and timestamp, and builders for its `chat.completion.chunk` events. */
function completionChunks(body: ChatCompletionRequest) {
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: object[], extra: object = {}) =>
    JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      choices,
      // As OpenAI does: with include_usage every chunk has usage: null, and a last chunk has the totals.
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
  const delta = (d: object, finish_reason: 'stop' | null = null) => [
    { index: 0, delta: d, logprobs: null, finish_reason },
  ];
  return { id, created, includeUsage, chunk, delta };
}

/**
 * A streamed completion written by the language model: each sentence goes out as a content chunk once
 * verified (in drop mode no unverified text is sent); `citations`, `abstained`, `mode`, `sentences` and
 * `fallbackReason` come with the last chunk, since which passages are cited is known only at the end. When
 * the answer falls back, the extractive answer is streamed instead.
 */
function generativeStream(
  c: Context,
  engine: Engine,
  llm: GenerativeAnswerer,
  input: AskInput,
  body: ChatCompletionRequest,
) {
  const { chunk, delta, includeUsage } = completionChunks(body);
  const signal = c.req.raw.signal;
  return streamSSE(c, async (stream) => {
    const gone = () => stream.aborted || signal.aborted;
    let content = '';
    const send = async (text: string) => {
      content += text;
      await stream.writeSSE({ data: chunk(delta({ content: text })) });
    };
    try {
      await stream.writeSSE({ data: chunk(delta({ role: 'assistant', content: '' })) });
      const outcome = await llm.answer(engine, input, {
        signal,
        onSentence: async (text) => {
          if (gone()) throw new Error('client went away');
          await send(content ? ` ${text}` : text);
        },
      });
      if (gone()) return;
      const r = outcome.response;
      if (!outcome.emitted) for (const text of answerChunks(r.answer)) await send(text);
      const sources = sourceList(r.abstained, r.citations);
      if (sources) await send(sources);
      const { citations, abstained, mode, sentences, fallbackReason } = r;
      await stream.writeSSE({
        data: chunk(delta({}, 'stop'), { citations, abstained, mode, sentences, fallbackReason }),
      });
      if (includeUsage) {
        const prompt_tokens = body.messages.reduce((n, m) => n + countTokens(textOf(m)), 0);
        const completion_tokens = countTokens(content);
        const usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
        await stream.writeSSE({ data: chunk([], { usage }) });
      }
      await stream.writeSSE({ data: '[DONE]' });
    } catch (err) {
      if (gone()) return;
      const e = toFootnoteError(err);
      await stream.writeSSE({ data: JSON.stringify({ error: { message: e.message, type: 'server_error', param: null, code: e.code } }) });
    }
  });
}

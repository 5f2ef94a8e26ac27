import { readFileSync } from 'node:fs';
import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../../../test/helpers.ts';
import type { Citation } from '../../qa/index.ts';

const TOKEN = 'test-token-3f1c';
const TROOPS = 'How many troops did Ukraine deploy along the border with Belarus?';

let server: RunningServer;
let secured: RunningServer;
let client: OpenAI;
beforeAll(async () => {
  [server, secured] = await Promise.all([
    startServer({ INDEX_DIR: inject('seedsIndexDir') }),
    startServer({ INDEX_DIR: inject('seedsIndexDir'), FOOTNOTE_API_TOKEN: TOKEN }),
  ]);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await Promise.all([server?.stop(), secured?.stop()]);
});

interface Footnoted {
  citations: Citation[];
  abstained: boolean;
}

/** Citations are verbatim passages of the source files, and the markers in the text match them. */
function expectCited(content: string, citations: Citation[]) {
  expect(citations.length).toBeGreaterThan(0);
  for (const c of citations) {
    expect(c.text).toBe(readFileSync(c.source, 'utf8').slice(c.start, c.end));
    expect(c.text).toContain(c.quote);
    expect(content).toContain(`[${c.marker}] ${c.title} — ${c.source}`);
  }
  const answer = content.split('\n\nSources:\n')[0] ?? '';
  const markers = new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  expect(markers).toEqual(new Set(citations.map((c) => c.marker)));
}

describe('the openai SDK', () => {
  it('gets a cited answer', async () => {
    const completion = await client.chat.completions.create({
      model: 'footnote',
      messages: [{ role: 'user', content: TROOPS }],
      temperature: 0.2,
      max_tokens: 200,
    });
    const { citations, abstained } = completion as unknown as Footnoted;
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'footnote' });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
    expect(completion.choices).toHaveLength(1);
    const choice = completion.choices[0];
    expect(choice).toMatchObject({ index: 0, finish_reason: 'stop', logprobs: null });
    expect(choice?.message).toMatchObject({ role: 'assistant', refusal: null });
    const content = choice?.message.content ?? '';
    expect(content).toContain('120,000');
    expect(content).toContain('[1]');
    expect(content).toContain('\n\nSources:\n[1] ');
    expect(abstained).toBe(false);
    expectCited(content, citations);
    const usage = completion.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(5);
    expect(usage?.completion_tokens).toBeGreaterThan(5);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it('streams the same answer as chunks, citations first, usage last', async () => {
    const stream = await client.chat.completions.create({
      model: 'footnote',
      messages: [{ role: 'user', content: TROOPS }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const first = chunks[0];
    expect(first?.object).toBe('chat.completion.chunk');
    expect(first?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(chunks.length).toBeGreaterThan(5);
    expectCited(content, (first as unknown as Footnoted).citations);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(5);

    const whole = await client.chat.completions.create({
      model: 'footnote',
      messages: [{ role: 'user', content: TROOPS }],
    });
    expect(content).toBe(whole.choices[0]?.message.content);
  });

  it('answers a follow-up from the chat history (system messages and text parts accepted)', async () => {
    const completion = await client.chat.completions.create({
      model: 'footnote',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'What did the Belarusian leader say about Ukraine?' },
        { role: 'assistant', content: 'He said the war must stop.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'How many troops did they say Ukraine deployed along the border?' },
          ],
        },
      ],
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect(content).toContain('120,000');
    expectCited(content, (completion as unknown as Footnoted).citations);
  });

  it('abstains when the articles do not say', async () => {
    const completion = await client.chat.completions.create({
      model: 'footnote',
      messages: [{ role: 'user', content: 'What is the population of Belarus?' }],
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect((completion as unknown as Footnoted).abstained).toBe(true);
    expect(content).toMatch(/^The documents don't say/);
    expect(content).not.toMatch(/\[\d+\]/);
  });

  it('lists and retrieves the footnote model', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models).toEqual([expect.objectContaining({ id: 'footnote', object: 'model' })]);
    expect((await client.models.retrieve('footnote')).id).toBe('footnote');
    const err = await client.models.retrieve('gpt-4o').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, type: 'invalid_request_error', code: 'model_not_found' });
  });

  const bad: Array<[string, Record<string, unknown>, string | null]> = [
    ['no messages', { messages: [] }, 'messages'],
    ['no user message', { messages: [{ role: 'system', content: 'hi' }] }, 'messages'],
    ['an empty question', { messages: [{ role: 'user', content: '  ' }] }, 'messages'],
    ['an unknown role', { messages: [{ role: 'robot', content: 'hi' }] }, 'messages[0].role'],
    [
      'an image part',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      'messages[0].content',
    ],
    ['n > 1', { messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'n'],
  ];
  it.each(bad)('rejects %s with an OpenAI BadRequestError', async (_, body, param) => {
    const err = await client.chat.completions
      .create({ model: 'footnote', ...body } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param });
  });
});

describe('LangChain ChatOpenAI', () => {
  const model = () =>
    new ChatOpenAI({
      model: 'footnote',
      apiKey: 'x',
      maxRetries: 0,
      configuration: { baseURL: `${server.url}/v1` },
    });

  it('invokes', async () => {
    const reply = await model().invoke(TROOPS);
    expect(reply.content).toContain('120,000');
    expect(reply.content).toContain('[1]');
    expect(reply.content).toContain('Sources:');
  });

  it('streams', async () => {
    let content = '';
    for await (const chunk of await model().stream(TROOPS)) content += chunk.content;
    expect(content).toContain('120,000');
    expect(content).toContain('[1]');
  });
});

describe('raw HTTP errors take the OpenAI shape', () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers, body });
  const cases: Array<[string, () => Promise<Response>, number]> = [
    ['malformed JSON', () => post('{"messages": '), 400],
    ['not JSON', () => post('hi', { 'content-type': 'text/plain' }), 415],
    ['body over 64 KB', () => post(JSON.stringify({ messages: [], pad: 'y'.repeat(70 * 1024) })), 413],
    ['wrong method', () => fetch(`${server.url}/v1/chat/completions`), 405],
    ['unknown route', () => fetch(`${server.url}/v1/embeddings`, { method: 'POST' }), 404],
  ];
  it.each(cases)('%s', async (_, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.type).toBe('invalid_request_error');
    expect(String(body.error.message).length).toBeGreaterThan(3);
  });

  it('describes /v1 in the OpenAPI document', async () => {
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/chat/completions', '/v1/models', '/v1/models/{model}', '/ask']),
    );
  });
});

describe('FOOTNOTE_API_TOKEN', () => {
  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${secured.url}/v1`, apiKey, maxRetries: 0 });
  const ask = (headers: Record<string, string> = {}) =>
    fetch(`${secured.url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ question: TROOPS }),
    });

  it('is required on /v1', async () => {
    const err = await sdk('wrong')
      .models.list()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, type: 'invalid_request_error', code: 'invalid_api_key' });
    const completion = await sdk(TOKEN).chat.completions.create({
      model: 'footnote',
      messages: [{ role: 'user', content: TROOPS }],
    });
    expect(completion.choices[0]?.message.content).toContain('120,000');
  });

  it('is required on /ask, which keeps its own error shape', async () => {
    for (const res of [await ask(), await ask({ authorization: 'Bearer wrong' })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const ok = await ask({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { answer: string }).answer).toContain('120,000');
    expect((await fetch(`${secured.url}/health`)).status).toBe(200);
  });

  it('is not required when unset', async () => {
    expect((await fetch(`${server.url}/ask?q=hi`)).status).toBe(200);
  });
});

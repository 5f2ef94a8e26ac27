import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { FeedbackLog, type FeedbackRecord } from './feedback.ts';

const tmpFile = async () => path.join(await mkdtemp(path.join(tmpdir(), 'footnote-feedback-')), 'data', 'feedback.jsonl');

const sample = {
  rating: 'down',
  comment: 'It should say August 6.',
  question: 'When did the talks start?',
  history: [
    { role: 'user', content: 'Who is Hanna Liubakova?' },
    { role: 'assistant', content: 'A journalist [1]' },
  ],
  answer: 'The talks began on Monday [1].',
  abstained: false,
  citations: [
    {
      marker: 1,
      docId: '004_ec9c24d3208588b7',
      source: 'seeds/004_ec9c24d3208588b7.txt',
      title: 'Putin ally',
      start: 10,
      end: 50,
      quote: 'The talks began on Monday.',
    },
  ],
};

function appWith(feedbackFile: string, extra: Parameters<typeof createApp>[0] extends infer O ? Partial<O> : never = {}) {
  return createApp({ state: () => ({ engine: null, status: 'loading' }), feedbackFile, ...extra });
}

const post = (app: ReturnType<typeof createApp>, body: unknown, headers: Record<string, string> = {}) =>
  app.request('/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const lines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FeedbackRecord);

describe('POST /feedback', () => {
  it('appends one JSON line with question, history, answer, citations, rating, comment and timestamp', async () => {
    const file = await tmpFile();
    const app = appWith(file);
    const res = await post(app, sample);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const [line, ...rest] = await lines(file);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ ...sample, id });
    expect(Date.parse(line?.timestamp ?? '')).toBeGreaterThan(Date.now() - 60_000);
    // A thumbs-up needs nothing but the rating and what was rated.
    const up = await post(app, { rating: 'up', question: 'q?', answer: 'a [1]' });
    expect(up.status).toBe(201);
    expect((await lines(file)).map((l) => l.rating)).toEqual(['down', 'up']);
  });

  it('answers 400 for invalid feedback, 415 for non-JSON, 413 for a huge body, and stores nothing', async () => {
    const file = await tmpFile();
    const app = appWith(file, { maxBodyBytes: 4096 });
    for (const bad of [
      { ...sample, rating: 'meh' },
      { ...sample, question: '' },
      { ...sample, comment: 'x'.repeat(2001) },
      { ...sample, citations: [{ marker: 'one' }] },
      { rating: 'down' },
    ]) {
      const res = await post(app, bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const malformed = await post(app, '{"rating":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    expect((await post(app, 'rating=down', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(app, { ...sample, answer: 'x'.repeat(8000) })).status).toBe(413);
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('requires the API token when one is set', async () => {
    const file = await tmpFile();
    const app = appWith(file, { apiToken: 'sesame' });
    expect((await post(app, sample)).status).toBe(401);
    expect((await post(app, sample, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(app, sample, { authorization: 'Bearer sesame' })).status).toBe(201);
    expect(await lines(file)).toHaveLength(1);
  });

  it('is rate-limited per client like /ask, in its own bucket', async () => {
    const file = await tmpFile();
    const app = appWith(file, { rateLimitPerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(app, sample)).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(await lines(file)).toHaveLength(3);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await appWith(await tmpFile()).request('/openapi.json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(doc.paths['/feedback']).toHaveProperty('post');
  });
});

describe('FeedbackLog', () => {
  it('never interleaves concurrent appends: every line is one whole record', async () => {
    const file = await tmpFile();
    const log = new FeedbackLog(file);
    const big = 'y'.repeat(30_000);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        log.append({ ...sample, rating: 'down', citations: [], id: String(i), timestamp: '', answer: `${i} ${big}` } as FeedbackRecord),
      ),
    );
    const records = await lines(file);
    expect(records.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const r of records) expect(r.answer).toBe(`${r.id} ${big}`);
  });
});

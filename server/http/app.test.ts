import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../../test/helpers.ts';
import type { AskResult } from '../qa/index.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ INDEX_DIR: inject('seedsIndexDir') });
});
afterAll(async () => {
  await server?.stop();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** The contract's invariants: verbatim passages, quotes inside them, markers ↔ citations one to one. */
function expectContract(r: AskResult) {
  expect(typeof r.answer).toBe('string');
  expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.retrieveMs);
  for (const c of r.citations) {
    const file = readFileSync(c.source, 'utf8');
    expect(c.text).toBe(file.slice(c.start, c.end));
    expect(c.text).toContain(c.quote);
    expect(c.quote.length).toBeGreaterThan(0);
  }
  if (!r.abstained) {
    const markers = new Set([...r.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect(new Set(r.citations.map((c) => c.marker))).toEqual(markers);
  }
}

describe('POST /ask over a real socket', () => {
  it('answers with verbatim, referenced citations', async () => {
    const res = await post({ question: 'What did Lukashenko say about peace talks?' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as AskResult;
    expectContract(body);
    expect(body.abstained).toBe(false);
    expect(body.citations.length).toBeGreaterThan(0);
    // The quote is about the talks and comes from an article about Lukashenko, titled as that article.
    const top = body.citations[0];
    expect(top?.quote).toMatch(/talks|negotiat/i);
    const doc = (await (await fetch(`${server.url}/documents/${top?.docId}`)).json()) as { title: string; text: string };
    expect(doc.text).toMatch(/Lukashenk/);
    expect(top?.title).toBe(doc.title);
  });

  it('abstains when the articles do not say', async () => {
    const body = (await (
      await post({ question: 'What is the population of Belarus?' })
    ).json()) as AskResult;
    expectContract(body);
    expect(body.abstained).toBe(true);
    expect(body.answer).toMatch(/don't say/);
    expect(body.answer).not.toMatch(/\[\d+\]/);
  });

  it('resolves a follow-up with history', async () => {
    const body = (await (
      await post({
        question: 'How many troops did they say Ukraine deployed along the border?',
        history: [
          { role: 'user', content: 'What did the Belarusian leader say about Ukraine?' },
          { role: 'assistant', content: 'He said the war must stop.' },
        ],
      })
    ).json()) as AskResult;
    expectContract(body);
    expect(body.answer).toContain('120,000');
  });

  it('honours k as the maximum number of citations', async () => {
    const body = (await (
      await post({ question: 'What did Putin and Lukashenko discuss?', k: 1 })
    ).json()) as AskResult;
    expectContract(body);
    expect(body.citations.length).toBeLessThanOrEqual(1);
  });

  it('answers GET /ask?q= the same way', async () => {
    const res = await fetch(
      `${server.url}/ask?q=${encodeURIComponent('Where were the ceasefire talks due to take place?')}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as AskResult;
    expectContract(body);
    expect(body.answer).toContain('Doha');
  });

  it('streams Server-Sent Events: citations, deltas, done', async () => {
    const res = await post(
      { question: 'How many troops did Ukraine deploy along the border with Belarus?' },
      { accept: 'text/event-stream' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((b) => b.trim())
      .map((block) => ({
        event: /^event: (.*)$/m.exec(block)?.[1],
        data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
      }));
    expect(events[0]?.event).toBe('citations');
    expect(events.at(-1)?.event).toBe('done');
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.at(-1)?.data as AskResult;
    expect(deltas.map((d) => d.data.text).join('')).toBe(done.answer);
    expect(events[0]?.data).toEqual(done.citations);
    expectContract(done);
    expect(done.answer).toContain('120,000');
  });
});

describe('bad input gets a JSON error and the server keeps serving', () => {
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['missing question', () => post({}), 400, 'invalid_request'],
    ['empty question', () => post({ question: '   ' }), 400, 'invalid_request'],
    ['non-string question', () => post({ question: 42 }), 400, 'invalid_request'],
    ['question over 2,000 characters', () => post({ question: 'a'.repeat(2001) }), 400, 'invalid_request'],
    ['malformed JSON', () => post('{"question": '), 400, 'malformed_json'],
    ['body over 64 KB', () => post({ question: 'x', pad: 'y'.repeat(70 * 1024) }), 413, 'payload_too_large'],
    [
      'wrong content type',
      () =>
        fetch(`${server.url}/ask`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }),
      415,
      'unsupported_media_type',
    ],
    ['unknown route', () => fetch(`${server.url}/nope`), 404, 'not_found'],
    ['wrong method', () => fetch(`${server.url}/ask`, { method: 'DELETE' }), 405, 'method_not_allowed'],
    ['k below 1', () => post({ question: 'x', k: 0 }), 400, 'invalid_request'],
    ['k above 20', () => post({ question: 'x', k: 21 }), 400, 'invalid_request'],
    ['k not an integer', () => post({ question: 'x', k: 2.5 }), 400, 'invalid_request'],
    [
      'malformed history',
      () => post({ question: 'x', history: [{ role: 'system', content: 1 }] }),
      400,
      'invalid_request',
    ],
    ['history not a list', () => post({ question: 'x', history: 'hello' }), 400, 'invalid_request'],
    ['GET /ask without q', () => fetch(`${server.url}/ask`), 400, 'invalid_request'],
    ['GET /ask with bad k', () => fetch(`${server.url}/ask?q=hi&k=abc`), 400, 'invalid_request'],
    ['unknown document', () => fetch(`${server.url}/documents/nope`), 404, 'not_found'],
  ];
  it.each(cases)('%s', async (_, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(3);
    expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe('health, documents, OpenAPI', () => {
  it('reports readiness with model and counts', async () => {
    const res = await fetch(`${server.url}/health`);
    const body = (await res.json()) as { status: string; model: string; documents: number; passages: number };
    expect(body).toMatchObject({ status: 'ok', model: 'footnote/glove-sif-100d', documents: 5 });
    expect(body.passages).toBeGreaterThan(20);
  });

  it('lists documents and returns full original text', async () => {
    const list = (await (await fetch(`${server.url}/documents`)).json()) as {
      documents: Array<{ id: string; title: string; source: string; passages: number }>;
    };
    expect(list.documents.map((d) => d.id)).toContain('003_34b0f79b61c39af3');
    const doc = (await (await fetch(`${server.url}/documents/003_34b0f79b61c39af3`)).json()) as {
      text: string;
      title: string;
    };
    expect(doc.text).toBe(readFileSync('seeds/003_34b0f79b61c39af3.txt', 'utf8'));
    expect(doc.title).toBe('Putin tells Lukashenko about "positive changes" in negotiations with Ukraine');
  });

  it("gives a document's dateline, and the page residue a reader may hide", async () => {
    const list = (await (await fetch(`${server.url}/documents`)).json()) as {
      documents: Array<{ id: string; date?: string }>;
    };
    expect(list.documents.find((d) => d.id === '003_34b0f79b61c39af3')?.date).toBe('11 March 2022');
    const doc = (await (await fetch(`${server.url}/documents/002_cebfa29bc1daa768`)).json()) as {
      text: string;
      boilerplate: Array<[number, number]>;
    };
    expect(doc.boilerplate.map(([a, b]) => doc.text.slice(a, b))).toEqual(['Leave a Reply']);
  });

  it('describes the API with OpenAPI generated from the request schemas', async () => {
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, { maxLength?: number }> }> };
    };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/ask', '/health', '/documents', '/documents/{id}']),
    );
    expect(spec.components.schemas.AskRequest?.properties?.question?.maxLength).toBe(2000);
  });
});

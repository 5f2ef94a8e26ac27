import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, rawConnection, startServer } from '../test/helpers.ts';
import { createApp } from './http/app.ts';
import { type Engine, loadEngine } from './qa/index.ts';

/**
 * Property: whatever arrives at /ask or /documents/:id, the answer is a well-formed JSON 200 or 4xx (or a
 * clean SSE stream), never a 5xx, a hang or a crash.
 */

const hostileChar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u200F', // right-to-left mark
      '\u202E', // right-to-left override
      '\u200D', // zero-width joiner
      '\u200B',
      '\uFEFF',
      '\u0000',
      '\u0007',
      '\u0301', // combining accent
      '😀',
      '👩‍👩‍👧‍👦',
      '🇺🇦',
      'ﷺ',
      '\u{10FFFF}',
      '\r\n',
      '"',
      '\\',
      '</script><script>alert(1)</script>',
      '[1]',
      '%',
      '%00',
      '../',
      'Lukashenko',
      'Putin',
      ' ',
    ),
  },
  // Lone surrogates: not valid Unicode, but a JSON string can carry them.
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const longWord = fc.integer({ min: 500, max: 10_000 }).map((n) => 'x'.repeat(n));
const hostileText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: hostileChar, maxLength: 80 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ unit: hostileChar, maxLength: 10 }), longWord).map(([a, b]) => a + b),
  },
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

const askBody = fc.oneof(
  { weight: 8, arbitrary: fc.record({ question: hostileText }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        question: fc.oneof(hostileText, anyJson),
        k: fc.oneof(fc.integer({ min: -5, max: 30 }), fc.double(), anyJson),
        history: fc.oneof(
          fc.array(
            fc.record({
              role: fc.oneof(fc.constantFrom('user', 'assistant'), hostileText),
              content: hostileText,
            }),
            { maxLength: 4 },
          ),
          anyJson,
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
/** A body as sent: mostly JSON (lone surrogates escaped, as JSON.stringify does), sometimes raw garbage. */
const askPayload = fc.oneof(
  { weight: 5, arbitrary: askBody.map((b) => JSON.stringify(b) ?? 'null') },
  { weight: 1, arbitrary: fc.string({ unit: hostileChar, maxLength: 200 }) },
);
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
  ),
);
const accept = fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/event-stream, */*', '');

/** Percent-encodes raw bytes, so invalid UTF-8 (%C0%AE, %ED%A0%80, %FF) reaches the server as is. */
const encodedBytes = fc
  .uint8Array({ maxLength: 60 })
  .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
const encodedText = hostileText.map((s) =>
  [...new TextEncoder().encode(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
);
const queryValue = fc.oneof(
  encodedText,
  encodedBytes,
  fc.constantFrom('', '%', '%%', '%zz', '+', '&', '=', '#'),
);
const askQuery = fc
  .record({
    q: queryValue,
    k: fc.option(queryValue, { nil: undefined }),
    extra: fc.option(queryValue, { nil: undefined }),
  })
  .map(
    ({ q, k, extra }) =>
      `/ask?q=${q}${k === undefined ? '' : `&k=${k}`}${extra === undefined ? '' : `&q=${extra}`}`,
  );
const documentPath = fc
  .oneof(
    encodedText,
    encodedBytes,
    fc.constantFrom('004_ec9c24d3208588b7', '..%2f..%2fetc%2fpasswd', '%2e%2e%2f', 'a'.repeat(300)),
  )
  // `.` and `..` segments (also as %2e) are resolved by the URL parser before any server sees them.
  .filter((id) => !/^(\.|%2e){1,2}$/i.test(id))
  .map((id) => `/documents/${id}`);

/** Checks one response against the property; returns a reason when it fails. */
async function verdict(res: Response): Promise<string | null> {
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
  if (res.status === 200 && type.startsWith('text/event-stream')) {
    const events = text.split('\n\n').filter((b) => b.trim());
    const names = events.map((b) => /^event: (.*)$/m.exec(b)?.[1]);
    for (const b of events) JSON.parse(/^data: (.*)$/m.exec(b)?.[1] ?? '');
    if (names.at(-1) !== 'done' || names.includes('error')) return `stream ended with ${names.at(-1)}`;
    return null;
  }
  if (!type.startsWith('application/json')) return `status ${res.status} with content type "${type}"`;
  const body = JSON.parse(text);
  if (res.status >= 400 && typeof body?.error?.code !== 'string') return `error without code: ${text}`;
  if (res.status === 200 && 'question' in body) return 'echoed the request';
  return null;
}

const withinMs = <T>(ms: number, p: Promise<T>): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

let engine: Engine;
let server: RunningServer;
beforeAll(async () => {
  [engine, server] = await Promise.all([
    loadEngine({ indexDir: inject('seedsIndexDir') }),
    startServer({ INDEX_DIR: inject('seedsIndexDir'), RATE_LIMIT_PER_MINUTE: '0' }),
  ]);
});
afterAll(async () => {
  await server?.stop();
});

describe('in-process: thousands of hostile requests', () => {
  const app = () => createApp({ state: () => ({ engine, status: 'ok' }), webDir: 'web' });
  const check = async (send: () => Response | Promise<Response>) => {
    const res = await withinMs(5000, Promise.resolve(send()));
    const reason = await verdict(res);
    expect(reason).toBeNull();
  };

  it('POST /ask with random and hostile bodies, content types and Accept headers', async () => {
    const a = app();
    await fc.assert(
      fc.asyncProperty(askPayload, contentType, accept, async (body, type, acc) => {
        await check(() =>
          a.request('/ask', {
            method: 'POST',
            headers: { ...(type ? { 'content-type': type } : {}), ...(acc ? { accept: acc } : {}) },
            body,
          }),
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('GET /ask with random, percent-encoded and invalid UTF-8 query strings', async () => {
    const a = app();
    await fc.assert(
      fc.asyncProperty(askQuery, async (url) => {
        await check(() => a.request(url));
      }),
      { numRuns: 800 },
    );
  });

  it('GET /documents/:id with hostile ids', async () => {
    const a = app();
    await fc.assert(
      fc.asyncProperty(documentPath, async (url) => {
        await check(() => a.request(url));
      }),
      { numRuns: 700 },
    );
  });
});

describe('over the real socket', () => {
  it('hostile bodies, queries and ids through fetch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('post' as const), body: askPayload, accept }),
          fc.record({ kind: fc.constant('get' as const), url: fc.oneof(askQuery, documentPath) }),
        ),
        async (req) => {
          const res = await withinMs(
            5000,
            req.kind === 'post'
              ? fetch(`${server.url}/ask`, {
                  method: 'POST',
                  headers: {
                    'content-type': 'application/json',
                    ...(req.accept ? { accept: req.accept } : {}),
                  },
                  body: req.body,
                })
              : fetch(`${server.url}${req.url}`),
          );
          expect(await verdict(res)).toBeNull();
        },
      ),
      { numRuns: 250 },
    );
  });

  it('hostile header bytes and malformed request lines get a JSON 4xx, and the server lives on', async () => {
    const headerValue = fc
      .uint8Array({ minLength: 1, maxLength: 40 })
      .map((b) => Buffer.from(b.filter((x) => x !== 10 && x !== 13)).toString('latin1'));
    const requestLine = fc.oneof(
      fc.constant('POST /ask HTTP/1.1'),
      fc.constant('GET /ask?q=hello HTTP/1.1'),
      fc.constant('GET /documents/x HTTP/1.1'),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
    );
    await fc.assert(
      fc.asyncProperty(requestLine, headerValue, askPayload, async (line, value, body) => {
        const bytes = Buffer.from(body);
        const { socket, closed } = await rawConnection(server.url);
        socket.write(
          Buffer.concat([
            Buffer.from(
              `${line}\r\nHost: x\r\nContent-Type: application/json\r\nX-Fuzz: ${value}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`,
              'latin1',
            ),
            bytes,
          ]),
        );
        const res = await withinMs(5000, closed);
        const status = res.status ?? 0;
        expect(status, res.text.slice(0, 200)).toBeGreaterThanOrEqual(200);
        expect(status, res.text.slice(0, 200)).toBeLessThan(500);
        const [head = '', payload = ''] = res.text.split('\r\n\r\n');
        if (/content-type: application\/json/i.test(head)) expect(() => JSON.parse(payload)).not.toThrow();
        else expect(head).toMatch(/content-type: text\/event-stream/i);
      }),
      { numRuns: 100 },
    );
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

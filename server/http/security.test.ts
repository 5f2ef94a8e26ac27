import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, rawConnection, startServer } from '../../test/helpers.ts';
import { type AppOptions, CSP, createApp } from './app.ts';
import { type Engine, loadEngine } from '../qa/index.ts';

const TOKEN = 'security-test-token-0123456789';

let engine: Engine;
let server: RunningServer;
beforeAll(async () => {
  [engine, server] = await Promise.all([
    loadEngine({ indexDir: inject('seedsIndexDir') }),
    startServer({
      INDEX_DIR: inject('seedsIndexDir'),
      FOOTNOTE_ADMIN_TOKEN: TOKEN,
      RATE_LIMIT_PER_MINUTE: '5',
    }),
  ]);
});
afterAll(async () => {
  await server?.stop();
});

const inProcess = (opts: Partial<AppOptions> = {}) =>
  createApp({ state: () => ({ engine, status: 'ok' }), webDir: 'web', ...opts });

/** Sends `target` exactly as written: fetch would resolve `..` and re-encode before sending. */
async function rawGet(target: string) {
  const { socket, closed } = await rawConnection(server.url);
  socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return closed;
}

describe('static files cannot escape the web folder', () => {
  const attacks = [
    '/../../../../etc/passwd',
    '/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/..%252f..%252f..%252fetc%252fpasswd',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/..%5c..%5c..%5cetc%5cpasswd',
    '/..\\..\\..\\etc\\passwd',
    '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '//etc/passwd',
    '/index.html/../../package.json',
    '/..%2fpackage.json',
    '/..%2fserver%2fmain.ts',
    '/app.js%00.html',
    '/.env',
    '/e2e.test.ts',
  ];
  it.each(attacks)('%s → 404', async (target) => {
    const res = await rawGet(target);
    expect([400, 404]).toContain(res.status);
    expect(res.text).not.toMatch(/root:|"name": "footnote"|import \{/);
  });

  it('serves the UI files themselves, from memory', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    // The page is the file, with `?v=<version>` added to its asset URLs (long caching).
    expect((await index.text()).replace(/\?v=[\w-]+/g, '')).toBe(readFileSync('web/index.html', 'utf8'));
    const app = await inProcess().request('/app.js');
    expect(app.headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('security headers', () => {
  it.each(['/', '/health', '/nope', '/documents'])(
    '%s carries CSP without inline scripts, nosniff, no referrer',
    async (p) => {
      const res = await fetch(`${server.url}${p}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toBe(CSP);
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    },
  );
});

describe('CORS', () => {
  const preflight = (app: ReturnType<typeof inProcess>, origin: string) =>
    app.request('/ask', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('is closed by default: no origin is allowed to call the API from a browser', async () => {
    const app = inProcess();
    expect(
      (await preflight(app, 'https://evil.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    const res = await fetch(`${server.url}/health`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the origins of CORS_ORIGINS', async () => {
    const app = inProcess({ corsOrigins: ['https://app.example'] });
    const ok = await preflight(app, 'https://app.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(
      (await preflight(app, 'https://evil.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    const get = await app.request('/health', { headers: { origin: 'https://app.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});

describe('admin and document-changing routes', () => {
  const routes: Array<[string, string]> = [
    ['POST', '/admin/reload'],
    ['POST', '/documents'],
    ['DELETE', '/documents/004_ec9c24d3208588b7'],
  ];

  it.each(routes)('%s %s is disabled (403) without FOOTNOTE_ADMIN_TOKEN', async (method, p) => {
    const res = await inProcess().request(p, {
      method,
      headers: { authorization: 'Bearer anything-at-all-123456', 'content-type': 'application/json' },
      body: method === 'POST' ? '{"text":"x"}' : undefined,
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('admin_disabled');
  });

  it.each(routes)('%s %s needs the bearer token (401 without or with a wrong one)', async (method, p) => {
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      TOKEN,
      'Basic Zm9vOmJhcg==',
    ]) {
      const res = await fetch(`${server.url}${p}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
        body: method === 'POST' ? '{"text":"x"}' : undefined,
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // The documents stay as they were.
    expect(((await (await fetch(`${server.url}/health`)).json()) as { documents: number }).documents).toBe(5);
  });

  it('accepts the right token', async () => {
    const res = await fetch(`${server.url}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ documents: 5 });
  });
});

describe('rate limiting on /ask', () => {
  it('gives each client RATE_LIMIT_PER_MINUTE requests, then 429 with Retry-After; X-Forwarded-For does not reset it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/ask?q=hello`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await fetch(`${server.url}/ask?q=hello`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const spoofed = await fetch(`${server.url}/ask?q=hello`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(spoofed.status).toBe(429);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('behind a trusted proxy (TRUST_PROXY), keys clients by the address the proxy appended', async () => {
    const app = inProcess({ rateLimitPerMinute: 2, trustProxy: true });
    const from = (xff: string) => app.request('/ask?q=hello', { headers: { 'x-forwarded-for': xff } });
    expect((await from('198.51.100.1')).status).toBe(200);
    expect((await from('198.51.100.1')).status).toBe(200);
    expect((await from('10.0.0.1, 198.51.100.1')).status).toBe(429);
    expect((await from('198.51.100.2')).status).toBe(200);
    // One IPv6 client owns a /64: rotating addresses inside it does not help.
    expect((await from('2001:db8:1:2::1')).status).toBe(200);
    expect((await from('2001:db8:1:2::2')).status).toBe(200);
    expect((await from('2001:db8:1:2:ffff::3')).status).toBe(429);
  });
});

describe('rate limiting on /v1/chat/completions', () => {
  it('shares the per-client budget with /ask and answers 429 in the OpenAI error shape', async () => {
    const app = inProcess({ rateLimitPerMinute: 2 });
    const chat = () =>
      app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'footnote',
          messages: [{ role: 'user', content: 'Who is Hanna Liubakova?' }],
        }),
      });
    expect((await app.request('/ask?q=hello')).status).toBe(200);
    expect((await chat()).status).toBe(200);
    const limited = await chat();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({
      error: { type: 'requests', code: 'rate_limit_exceeded', param: null },
    });
  });
});

describe('timeouts and shutdown in the app', () => {
  it('answers 503 `timeout` when an answer takes longer than the handler timeout', async () => {
    const slow = { ...engine, ask: () => new Promise(() => {}) } as unknown as Engine;
    const app = createApp({ state: () => ({ engine: slow, status: 'ok' }), handlerTimeoutMs: 100 });
    // The engine never answers: any response at all is the handler timeout's.
    const res = await app.request('/ask?q=hello');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'timeout', message: expect.stringMatching(/100 ms/) },
    });
  });

  it('refuses new requests with 503 and closes the connection once shutdown began', async () => {
    const res = await inProcess({ draining: () => true }).request('/health');
    expect(res.status).toBe(503);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
  });
});

describe('logs', () => {
  it('writes one JSON line per request with method, path, status and latency, and never the token', async () => {
    await fetch(`${server.url}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await fetch(`${server.url}/documents/nope?secret=question`);
    // Lines are written in request order, so once this one is out, the reload's is too.
    await server.waitForOutput(/"path":"\/documents\/nope".*"msg":"request"/);
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/admin/reload', status: 200, ms: expect.any(Number) }),
    );
    expect(requests).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/documents/nope', status: 404 }),
    );
    expect(server.output()).not.toContain(TOKEN);
    expect(server.output()).not.toContain('secret=question');
  });
});

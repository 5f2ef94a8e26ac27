import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../app.ts';
import { type Engine, loadEngine } from '../../qa/index.ts';

const TOKEN = 'content-token-0123456789';
const DOC = '004_ec9c24d3208588b7';

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine({ indexDir: inject('seedsIndexDir') });
});

const app = (apiToken?: string) =>
  createApp({ state: () => ({ engine, status: 'ok' }), ...(apiToken ? { apiToken } : {}) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('FOOTNOTE_API_TOKEN protects the corpus text', () => {
  it.each([['/documents'], [`/documents/${DOC}`], ['/ask?q=Who%20is%20Hanna%20Liubakova%3F']])(
    'GET %s: 401 without the token or with a wrong one, 200 with it',
    async (route) => {
      const secured = app(TOKEN);
      const none = await secured.request(route);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const body = await none.text();
      expect(body).not.toMatch(/Lukashenk|Liubakova said/);
      expect((await secured.request(route, { headers: bearer('wrong-token-xyz') })).status).toBe(401);
      expect((await secured.request(route, { headers: bearer(TOKEN) })).status).toBe(200);
    },
  );

  it('/health without the token says only whether the service is up; with it, everything', async () => {
    const secured = app(TOKEN);
    const anonymous = await secured.request('/health');
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: 'ok' });
    const full = (await (await secured.request('/health', { headers: bearer(TOKEN) })).json()) as {
      documents: number;
      model: string;
    };
    expect(full.documents).toBe(5);
    expect(full.model).toBe('footnote/glove-sif-100d');
    const down = createApp({ state: () => ({ engine: null, status: 'loading' }), apiToken: TOKEN });
    const res = await down.request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'loading' });
  });

  it('without a token configured, documents and health stay open', async () => {
    const open = app();
    expect((await open.request('/documents')).status).toBe(200);
    expect((await open.request(`/documents/${DOC}`)).status).toBe(200);
    expect(((await (await open.request('/health')).json()) as { documents: number }).documents).toBe(5);
  });
});

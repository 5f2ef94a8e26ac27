import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../app.ts';
import { type Engine, loadEngine } from '../../qa/index.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine({ indexDir: inject('seedsIndexDir') });
});

const ask = (k: string) =>
  createApp({ state: () => ({ engine, status: 'ok' }) }).request(
    `/ask?q=${encodeURIComponent('Who is Hanna Liubakova?')}&k=${encodeURIComponent(k)}`,
  );

describe('GET /ask?k= is a decimal whole number', () => {
  it.each(['0x10', '1e1', '0b11', '0o7', ' 5', '5 ', '+5', '5.0', '', 'Infinity'])('k=%j: 400', async (k) => {
    const res = await ask(k);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^k: /),
    });
  });

  it.each([
    ['3', 3],
    ['20', 20],
    ['07', 7],
  ])('k=%s: at most %i citations', async (k, n) => {
    const res = await ask(k);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { citations: unknown[] }).citations.length).toBeLessThanOrEqual(n);
  });

  it.each(['0', '21'])('k=%s (out of 1-20): 400', async (k) => {
    expect((await ask(k)).status).toBe(400);
  });
});

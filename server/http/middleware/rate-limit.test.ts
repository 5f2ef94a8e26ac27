import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorResponse, toFootnoteError } from '../errors.ts';
import { rateLimit, rateLimitKey } from './rate-limit.ts';

/** An app limited to `perMinute`, on a clock the test moves by hand (no waiting). */
function limited(perMinute: number) {
  let t = 1_000_000;
  const app = new Hono();
  app.use(rateLimit({ perMinute, key: (c) => c.req.header('x-client') ?? 'a', now: () => t }));
  app.get('/', (c) => c.text('ok'));
  app.onError((err, c) => errorResponse(c, toFootnoteError(err)));
  const get = (client = 'a') => app.request('/', { headers: { 'x-client': client } });
  return { get, advance: (ms: number) => (t += ms) };
}

describe('rate limit (token bucket)', () => {
  it('lets a burst of perMinute through, then answers 429 with Retry-After and a JSON reason', async () => {
    const { get } = limited(3);
    for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('20');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it('refills at perMinute per minute: one request per 60/perMinute seconds, never above the burst', async () => {
    const { get, advance } = limited(3);
    for (let i = 0; i < 3; i++) await get();
    advance(19_999);
    expect((await get()).status).toBe(429);
    advance(1);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
    // An hour idle refills to the burst, not to sixty minutes' worth.
    advance(3_600_000);
    for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
  });

  it('keeps one bucket per client, and one per IPv6 /64', async () => {
    const { get } = limited(1);
    expect((await get('a')).status).toBe(200);
    expect((await get('a')).status).toBe(429);
    expect((await get('b')).status).toBe(200);
    expect(rateLimitKey('2001:db8:1:2:aaaa::1')).toBe(rateLimitKey('2001:db8:1:2:bbbb::9'));
    expect(rateLimitKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });
});

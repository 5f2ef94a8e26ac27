import { isIPv6 } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { FootnoteError } from '../../errors.ts';

/**
 * The client's address: the socket's peer, or, behind a trusted reverse proxy, the address that proxy
 * appended last to X-Forwarded-For (earlier entries are whatever the client claimed). Apps run in-process
 * (tests, evals) have no socket and share one key.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  return (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket?.remoteAddress ?? 'local';
}

/** IPv6 clients get a whole /64 each, so the limit keys on that prefix rather than on one address of it. */
export function rateLimitKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.)/, '');
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = plain.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

export interface RateLimitOptions {
  perMinute: number;
  key: (c: Context) => string;
  now?: () => number;
}

/**
 * Token bucket per client: bursts up to `perMinute` requests, refilled at `perMinute` per minute. Buckets
 * that have refilled completely carry no information and are swept once a minute, bounding memory.
 */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler {
  const now = opts.now ?? Date.now;
  const perMs = opts.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();
  return async (c, next) => {
    const t = now();
    if (t - lastSweep > 60_000) {
      for (const [k, b] of buckets) if (b.tokens + (t - b.at) * perMs >= opts.perMinute) buckets.delete(k);
      lastSweep = t;
    }
    const key = rateLimitKey(opts.key(c));
    const b = buckets.get(key) ?? { tokens: opts.perMinute, at: t };
    b.tokens = Math.min(opts.perMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) {
      const retryAfter = Math.ceil((1 - b.tokens) / perMs / 1000);
      throw new FootnoteError('rate_limited',
        `too many requests; retry in ${retryAfter} s (limit ${opts.perMinute} per minute)`,
        { 'Retry-After': String(retryAfter) },
      );
    }
    b.tokens -= 1;
    await next();
  };
}

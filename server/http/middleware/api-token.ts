import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { FootnoteError } from '../../errors.ts';

// Hashing first gives equal-length buffers, so the comparison time reveals neither the token nor its length.
const digest = (s: string) => createHash('sha256').update(s).digest();

const bearerOf = (header: string | undefined) => /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];

/** True when no token is configured or `authorization` carries it (for routes that answer less without). */
export function hasApiToken(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const given = bearerOf(authorization);
  return !!given && timingSafeEqual(digest(given), digest(token));
}

/**
 * Requires `Authorization: Bearer <token>` when a token is configured, and lets everything through when not.
 * It throws an FootnoteError so that each app renders the 401 in its own error shape.
 */
export function requireApiToken(token: string | undefined): MiddlewareHandler {
  if (!token) return (_c, next) => next();
  const expected = digest(token);
  return async (c, next) => {
    const given = bearerOf(c.req.header('authorization'));
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new FootnoteError('unauthorized',
        given ? 'invalid API token' : 'send the API token as Authorization: Bearer <token>',
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    await next();
  };
}

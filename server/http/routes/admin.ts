import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requireApiToken } from '../middleware/api-token.ts';
import { FootnoteError } from '../../errors.ts';
import { describeLoadError, type ReloadResult } from '../../live/live-engine.ts';
import { ErrorSchema, ReloadResultSchema } from '../schemas.ts';

export const ADMIN_SECURITY = 'adminToken';

/**
 * Guards routes that change what is served. Without FOOTNOTE_ADMIN_TOKEN they are disabled (403), so a
 * server never exposes them by accident; with it, `Authorization: Bearer <token>` is compared in constant
 * time (401 otherwise).
 */
export function requireAdmin(token: string | undefined): MiddlewareHandler {
  if (!token) {
    return () => {
      throw new FootnoteError('admin_disabled',
        'set FOOTNOTE_ADMIN_TOKEN on the server to enable this route',
      );
    };
  }
  return requireApiToken(token);
}

export const adminErrorResponses = {
  401: { description: 'Missing or wrong token', content: { 'application/json': { schema: ErrorSchema } } },
  403: {
    description: 'FOOTNOTE_ADMIN_TOKEN is not set',
    content: { 'application/json': { schema: ErrorSchema } },
  },
};

export interface AdminOptions {
  adminToken?: string;
  /** Loads the index currently published at INDEX_DIR. */
  reload?: () => Promise<ReloadResult>;
}

/** `POST /admin/reload`: swaps in the published index without dropping a request. */
export function registerAdminRoutes(app: OpenAPIHono, opts: AdminOptions): void {
  app.openAPIRegistry.registerComponent('securitySchemes', ADMIN_SECURITY, {
    type: 'http',
    scheme: 'bearer',
  });
  const reload = createRoute({
    method: 'post',
    path: '/admin/reload',
    summary: 'Load the index published at INDEX_DIR (SIGHUP does the same)',
    description:
      'Requests in flight finish on the index they started with. On failure the previous index keeps serving and /health reports the error.',
    security: [{ [ADMIN_SECURITY]: [] }],
    middleware: [requireAdmin(opts.adminToken)] as const,
    responses: {
      200: { description: 'Now serving', content: { 'application/json': { schema: ReloadResultSchema } } },
      ...adminErrorResponses,
      500: {
        description: 'The published index could not be loaded; the previous one is still served',
        content: { 'application/json': { schema: ErrorSchema } },
      },
    },
  });
  app.openapi(reload, async (c) => {
    if (!opts.reload) throw new FootnoteError('not_found', 'this server has no index to reload');
    try {
      return c.json(await opts.reload(), 200);
    } catch (err) {
      throw new FootnoteError('reload_failed', `still serving the previous index; ${describeLoadError(err)}`);
    }
  });
}

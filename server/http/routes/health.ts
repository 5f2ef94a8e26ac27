import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import type { EngineState } from '../../live/engine-state.ts';
import type { GenerativeAnswerer } from '../../qa/index.ts';
import { hasApiToken } from '../middleware/api-token.ts';
import { HealthSchema } from '../schemas.ts';

export interface HealthOptions {
  state: () => EngineState;
  apiToken?: string;
  llm?: GenerativeAnswerer | null;
}

const health = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Readiness: 200 when the index is loaded, 503 otherwise',
  description:
    'With FOOTNOTE_API_TOKEN set, a request without the token gets only `{ status }` (whether the service is up).',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: HealthSchema } } },
  },
});

/** `GET /health`: readiness for load balancers, and what is served for people. */
export function registerHealthRoute(app: OpenAPIHono, opts: HealthOptions): void {
  app.openapi(health, (c) => {
    const s = opts.state();
    // Without the API token (when one is set) health says only whether the service is up.
    if (!hasApiToken(opts.apiToken, c.req.header('authorization'))) {
      return c.json({ status: s.status } as z.infer<typeof HealthSchema>, s.engine ? 200 : 503);
    }
    const m = s.engine?.index.manifest;
    const body = {
      status: s.status,
      model: m?.model.id ?? null,
      documents: m?.counts.documents ?? 0,
      passages: m?.counts.passages ?? 0,
      indexCreatedAt: m?.createdAt ?? null,
      mode: opts.llm ? ('generative' as const) : ('extractive' as const),
      llmModel: opts.llm?.model ?? null,
      ...(s.message ? { message: s.message } : {}),
      ...(s.lastReload ? { lastReload: s.lastReload } : {}),
    };
    return c.json(body, s.engine ? 200 : 503);
  });
}

import { serve } from '@hono/node-server';
import { ConfigError, parseEnv } from '../ingest/config.ts';
import { IndexError } from '../ingest/index-store.ts';
import { createApp, type EngineState } from './app.ts';
import { ServerEnvSchema } from './config.ts';
import { loadEngine } from './engine.ts';

async function main(): Promise<void> {
  const env = parseEnv(ServerEnvSchema);
  const state: EngineState = { engine: null, status: 'loading' };
  // The index is loaded before listening: a server that can't answer refuses to start with one clear line.
  state.engine = await loadEngine({
    indexDir: env.INDEX_DIR,
    modelsDir: env.MODELS_DIR,
    modelId: env.EMBEDDING_MODEL,
  });
  state.status = 'ok';
  const app = createApp({ state: () => state, webDir: env.WEB_DIR, maxBodyBytes: env.MAX_BODY_BYTES });
  const server = serve({ fetch: app.fetch, hostname: env.HOST, port: env.PORT }, (info) => {
    const m = state.engine?.index.manifest;
    console.log(
      `footnote listening on http://${env.HOST}:${info.port} (${m?.counts.documents} documents, ${m?.counts.passages} passages, model ${m?.model.id})`,
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof IndexError) {
    console.error(`footnote: ${err.message}: ${err.hint}`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    console.error(`footnote: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});

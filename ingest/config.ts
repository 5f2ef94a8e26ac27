import { z } from 'zod';

/** Settings shared by ingestion and the server, read from the environment (see README "Configuration"). */
export const IngestEnvSchema = z.object({
  CORPUS_DIR: z.string().min(1).default('seeds'),
  INDEX_DIR: z.string().min(1).default('data/index'),
  MODELS_DIR: z.string().min(1).default('models'),
  EMBEDDING_MODEL: z.string().min(1).default('footnote/glove-sif-100d'),
  MAX_DOC_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024),
});

/** Parses env vars, turning zod issues into one readable line per bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

import { z } from 'zod';
import { IngestEnvSchema } from '../ingest/config.ts';

export const ServerEnvSchema = IngestEnvSchema.extend({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  WEB_DIR: z.string().min(1).default('web'),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
});
export type ServerEnv = z.infer<typeof ServerEnvSchema>;

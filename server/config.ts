import { z } from 'zod';
import { IngestEnvSchema } from '../ingest/config.ts';

/** The body limit of JSON requests (/ask, /v1, /feedback) unless MAX_BODY_BYTES says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const ServerEnvSchema = IngestEnvSchema.extend({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  WEB_DIR: z.string().min(1).default('web'),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_BODY_BYTES),
  /** Enables the admin and document-changing routes; without it they answer 403. */
  FOOTNOTE_ADMIN_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~+/-]{16,}=*$/, 'must be at least 16 characters of A-Z a-z 0-9 . _ ~ + / -')
    .optional(),
  /** Requests per minute per client on /ask; 0 turns the limit off (benchmarks, trusted networks). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(120),
  /** Behind a reverse proxy, key clients by the address it appends to X-Forwarded-For. */
  TRUST_PROXY: flag(false),
  /** Comma-separated origins allowed to call the API from a browser; empty = same origin only. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** Whole request (headers and body) must arrive within this, else 408: slow clients can't hold sockets. */
  REQUEST_TIMEOUT_MS: ms(30_000),
  HEADERS_TIMEOUT_MS: ms(10_000),
  /** An /ask answer taking longer than this gets a 503 `timeout`. */
  HANDLER_TIMEOUT_MS: ms(15_000),
  /** On SIGTERM, in-flight requests get this long to finish before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: ms(10_000),
  /** Reload by itself when an ingest publishes a new index generation. */
  INDEX_WATCH: flag(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** When set, /ask and /v1/* require `Authorization: Bearer <token>`; empty is refused, not "no token". */
  FOOTNOTE_API_TOKEN: z.string().min(1, 'must not be empty (unset it to require no token)').optional(),
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  type AskRequest,
  AskResponseSchema,
  type Citation,
  type RetrievalMode,
  RetrievedSchema,
  type Target,
} from './contract.ts';
import type { ChatMessage } from './schema.ts';

const HTTP_TIMEOUT_MS = 120_000;

function parseAs<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(`${what} does not match the contract: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Memoises an async lookup, sharing the in-flight promise so concurrent callers fetch once. */
function cached<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = load(key);
      cache.set(key, hit);
    }
    return hit;
  };
}

interface EngineLike {
  ask(req: AskRequest): Promise<unknown>;
  /** The indexed documents by docId. */
  documents: ReadonlyMap<string, { text: string }>;
  retrieve(
    query: string,
    opts: { mode: RetrievalMode; k: number; history?: ChatMessage[] },
  ): Promise<unknown>;
  close?(): Promise<void>;
}

type LoadEngine = (opts: { indexDir: string; modelsDir?: string }) => Promise<EngineLike>;

function loadEngineOf(mod: unknown): LoadEngine {
  const fn = (mod as { loadEngine?: unknown } | null)?.loadEngine;
  if (typeof fn !== 'function') throw new Error('server/qa/index.ts does not export loadEngine()');
  return fn as LoadEngine;
}

const ManifestSourcesSchema = z.object({
  documents: z.array(z.object({ docId: z.string(), source: z.string() })),
});

/** docId → source path, from the index manifest: retrieved passages carry only a docId. */
async function readSourceMap(indexDir: string): Promise<Map<string, string>> {
  const file = path.join(indexDir, 'manifest.json');
  const manifest = parseAs(ManifestSourcesSchema, JSON.parse(await readFile(file, 'utf8')), file);
  return new Map(manifest.documents.map((d) => [d.docId, d.source]));
}

export async function inProcessTarget(opts: {
  indexDir: string;
  modelsDir?: string;
  repoRoot: string;
}): Promise<Target> {
  // Resolved at run time so the evals type-check and unit-test without the server module.
  const engineUrl = pathToFileURL(path.join(opts.repoRoot, 'server', 'qa', 'index.ts')).href;
  const loadEngine = loadEngineOf(await import(engineUrl));
  const engine = await loadEngine({
    indexDir: opts.indexDir,
    ...(opts.modelsDir === undefined ? {} : { modelsDir: opts.modelsDir }),
  });
  const sources = await readSourceMap(opts.indexDir);
  const sourceOf = (docId: string) => {
    const source = sources.get(docId);
    if (source === undefined) throw new Error(`docId ${docId} is not in the index manifest`);
    return source;
  };
  return {
    description: `in-process ${opts.indexDir}`,
    ask: async (req) => parseAs(AskResponseSchema, await engine.ask(req), 'Engine.ask() result'),
    // The text the engine indexed and quotes from (as GET /documents/:id serves it): for HTML, PDF and Word
    // files it is not the file's bytes.
    documentText: async (c: Citation) => {
      const doc = engine.documents.get(c.docId);
      if (doc === undefined) throw new Error(`docId ${c.docId} is not in the index`);
      return doc.text;
    },
    retrieve: async (query, retrieveOpts) => {
      const hits = parseAs(
        RetrievedSchema,
        await engine.retrieve(query, retrieveOpts),
        'Engine.retrieve() result',
      );
      return hits.map(({ passage: p }) => ({
        source: sourceOf(p.docId),
        start: p.start,
        end: p.end,
        text: p.text,
      }));
    },
    close: async () => {
      await engine.close?.();
    },
  };
}

const DocumentBodySchema = z.object({ text: z.string() });

/** At most this many retries of a request answered 429, each waiting what Retry-After says, capped. */
const MAX_RETRIES_ON_429 = 5;
const MAX_RETRY_WAIT_MS = 60_000;
const DEFAULT_RETRY_WAIT_MS = 1_000;

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date), capped; a default if absent. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  const value = header?.trim() ?? '';
  const ms = /^\d+$/.test(value)
    ? Number(value) * 1000
    : Number.isFinite(Date.parse(value))
      ? Date.parse(value) - now
      : DEFAULT_RETRY_WAIT_MS;
  return Math.min(MAX_RETRY_WAIT_MS, Math.max(0, ms));
}

export interface HttpTargetOptions {
  /** Sent as `Authorization: Bearer <token>` (default: $FOOTNOTE_API_TOKEN). */
  token?: string;
  /** How to wait before a retry (tests observe it). */
  sleep?: (ms: number) => Promise<void>;
}

export function httpTarget(baseUrl: string, opts: HttpTargetOptions = {}): Target {
  const base = baseUrl.replace(/\/+$/, '');
  const token = opts.token ?? process.env.FOOTNOTE_API_TOKEN;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  async function requestJson(route: string, init?: RequestInit): Promise<unknown> {
    const headers: Record<string, string> = { ...(init?.headers as Record<string, string>) };
    if (token) headers.authorization = `Bearer ${token}`;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${base}${route}`, {
        ...init,
        headers,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      const body = await res.text();
      // A rate-limited server says when to come back: wait that long (bounded) rather than fail the run.
      if (res.status === 429 && attempt < MAX_RETRIES_ON_429) {
        await sleep(retryAfterMs(res.headers.get('retry-after')));
        continue;
      }
      if (!res.ok)
        throw new Error(`${init?.method ?? 'GET'} ${route} → HTTP ${res.status}: ${body.slice(0, 200)}`);
      return JSON.parse(body);
    }
  }
  const documentById = cached(async (docId) => {
    const route = `/documents/${encodeURIComponent(docId)}`;
    return parseAs(DocumentBodySchema, await requestJson(route), `GET ${route}`).text;
  });
  return {
    description: base,
    ask: async (req) => {
      const init = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(req),
      };
      return parseAs(AskResponseSchema, await requestJson('/ask', init), 'POST /ask response');
    },
    documentText: (c: Citation) => documentById(c.docId),
    close: async () => {},
  };
}

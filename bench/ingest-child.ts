import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { IngestEnvSchema, parseEnv } from '../ingest/config.ts';
import { createEmbedder } from '../ingest/embedder.ts';
import { FILES } from '../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingestInThread } from '../ingest/ingest-thread.ts';
import { since } from './stats.ts';

/**
 * One ingest measurement, in a process of its own so that its peak RSS is the ingest's alone and no run warms
 * the JIT or caches for the next: `node --import tsx bench/ingest-child.ts <corpus> <index> [embed-sample]`.
 * Prints one JSON line (IngestRun) on stdout.
 */
export interface IngestRun {
  passages: number;
  documents: number;
  embedded: number;
  modelLoadMs: number;
  /** The CLI's ingest from call to return: read, clean, split, embed, build HNSW, write, publish. */
  totalMs: number;
  /**
   * Stages, from its progress callbacks: reading the corpus (and the previous index) up to the plan; splitting,
   * embedding and the HNSW insertions, which overlap, up to the last document done; the lexical index and writing.
   */
  readMs: number;
  indexMs: number;
  writeMs: number;
  /** Peak resident set size of the process during ingest, in MB. */
  peakRssMb: number;
  /** The embedder alone on the first `embedOnlyPassages` passage texts of the index, ingest's batch size. */
  embedOnlyMs: number;
  embedOnlyPassages: number;
}

/** ingest()'s default batch (pipeline.ts); the embedder splits it further into model calls. */
const INGEST_BATCH = 256;

async function main(): Promise<void> {
  const [corpusDir, indexDir, sample] = process.argv.slice(2);
  if (!corpusDir || !indexDir)
    throw new Error('usage: ingest-child.ts <corpus-dir> <index-dir> [embed-sample]');
  const env = parseEnv(IngestEnvSchema);
  let t = performance.now();
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  const modelLoadMs = since(t);

  let planAt = 0;
  let embeddedAt = 0;
  t = performance.now();
  const summary = await ingestInThread({
    corpusDir,
    indexDir,
    embedder,
    maxBytes: env.MAX_DOC_BYTES,
    full: true,
    onPlan: () => {
      planAt = performance.now();
    },
    // The last document done: split, embedded and in the graph; what follows is the lexical index and writing.
    onProgress: (done, total) => {
      if (done === total) embeddedAt = performance.now();
    },
  });
  const end = performance.now();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  // Line by line: at 1M passages the file is longer than a string can be.
  const texts: string[] = [];
  const limit = Number(sample) || Number.POSITIVE_INFINITY;
  for await (const line of createInterface({ input: createReadStream(path.join(indexDir, FILES.passages)) })) {
    if (texts.length >= limit) break;
    if (line) texts.push((JSON.parse(line) as { text: string }).text);
  }
  const e0 = performance.now();
  for (let i = 0; i < texts.length; i += INGEST_BATCH) await embedder.embed(texts.slice(i, i + INGEST_BATCH));
  const embedOnlyMs = since(e0);

  const run: IngestRun = {
    passages: summary.passages,
    documents: summary.documents,
    embedded: summary.embedded,
    modelLoadMs,
    totalMs: end - t,
    readMs: planAt - t,
    indexMs: embeddedAt - planAt,
    writeMs: end - embeddedAt,
    peakRssMb,
    embedOnlyMs,
    embedOnlyPassages: texts.length,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, IngestEnvSchema, parseEnv } from './config.ts';
import { createEmbedder } from './embedder.ts';
import { IndexError } from './index-store.ts';
import { EmptyCorpusError, type IngestSummary, ingest } from './pipeline.ts';

const USAGE = `usage: npm run ingest -- [--dir seeds] [--index-dir data/index] [--full]
  --dir        corpus folder (.txt, .md, .html files; default $CORPUS_DIR or seeds)
  --index-dir  where the index is published (default $INDEX_DIR or data/index)
  --full       re-embed every passage instead of reusing unchanged ones`;

function progressReporter(): { onProgress: (done: number, total: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: 'embedding [{bar}] {percentage}% {value}/{total} passages, eta {eta}s',
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      onProgress: (done, total) => {
        if (!started) bar.start(total, done);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  // Not a terminal (CI, logs): a plain line every ~10%.
  let lastDecile = -1;
  return {
    onProgress: (done, total) => {
      const decile = total ? Math.floor((done / total) * 10) : 10;
      if (decile !== lastDecile) console.error(`embedding ${done}/${total} passages`);
      lastDecile = decile;
    },
    stop: () => {},
  };
}

export function formatSummary(s: IngestSummary): string {
  const lines = [
    `indexed ${s.documents} document(s), ${s.passages} passage(s) in ${s.seconds.toFixed(2)} s`,
    `  passages: ${s.added} added, ${s.removed} removed, ${s.unchanged} unchanged; ${s.embedded} embedding(s) computed`,
  ];
  if (s.fullRebuildReason) lines.push(`  full rebuild: ${s.fullRebuildReason}`);
  for (const d of s.duplicates)
    lines.push(`  duplicate: ${d.file} has the same text as ${d.sameAs} (not indexed twice)`);
  for (const k of s.skipped) lines.push(`  skipped ${k.file}: ${k.reason}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      options: {
        dir: { type: 'string' },
        'index-dir': { type: 'string' },
        full: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  try {
    args = parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = parseEnv(IngestEnvSchema);
  const corpusDir = args.values.dir ?? env.CORPUS_DIR;
  const indexDir = args.values['index-dir'] ?? env.INDEX_DIR;
  const embedder = await createEmbedder({ modelId: env.EMBEDDING_MODEL, modelsDir: env.MODELS_DIR });
  const progress = progressReporter();
  try {
    const summary = await ingest({
      corpusDir,
      indexDir,
      embedder,
      maxBytes: env.MAX_DOC_BYTES,
      full: args.values.full,
      onProgress: progress.onProgress,
      onPlan: (p) => {
        if (p.fullRebuildReason && p.fullRebuildReason !== 'no previous index') {
          console.error(`full rebuild: ${p.fullRebuildReason}`);
        }
      },
    });
    progress.stop();
    console.log(formatSummary(summary));
    return 0;
  } finally {
    progress.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof EmptyCorpusError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof IndexError) {
      console.error(`error: ${err.message}: ${err.hint}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);

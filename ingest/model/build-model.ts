import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isSingleBertToken } from './bert-text.ts';
import { encodeEmbeddingModel } from './onnx-graph.ts';
import { DEFAULT_MODEL_DIR, MODEL_STAMP_FILE } from './paths.ts';
import { applySif, quantizeRows } from './sif.ts';
import { modelConfigJson, SPECIAL_TOKENS, tokenizerConfigJson, tokenizerJson } from './tokenizer-files.ts';
import { locateWinkSource, readWinkVectors, WINK_PACKAGE } from './wink-source.ts';
import { VOCAB_FILE } from './word-tokenizer.ts';

/** Bump `version` whenever the output would change for the same source package. */
const RECIPE = {
  version: 2,
  vocabularyWords: 200_000,
  sif: { a: 1e-3, commonTop: 50_000 },
};

export interface BuildOptions {
  outDir?: string;
  force?: boolean;
}

export interface BuildResult {
  skipped: boolean;
  seconds: number;
  /** Total size of the model files. */
  bytes: number;
  dir: string;
  vocabSize: number;
}

interface Stamp {
  recipe: typeof RECIPE;
  source: { package: string; version: string; bytes: number };
  vocabSize: number;
  dimensions: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Builds the GloVe + SIF embedding model as transformers.js files, unless `outDir` already holds this build. */
export async function buildModel({
  outDir: dir = DEFAULT_MODEL_DIR,
  force = false,
}: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const outDir = resolve(dir); // no trailing slash: the temp and old directories must be siblings
  const result = (skipped: boolean, stamp: Stamp): BuildResult => ({
    skipped,
    seconds: (performance.now() - started) / 1000,
    bytes: Object.values(stamp.files).reduce((sum, file) => sum + file.bytes, 0),
    dir: outDir,
    vocabSize: stamp.vocabSize,
  });
  const winkSource = locateWinkSource();
  const source = { package: WINK_PACKAGE, version: winkSource.version, bytes: winkSource.bytes };

  if (!force) {
    const stamp = await currentStamp(outDir, source);
    if (stamp) return result(true, stamp);
  }

  const selected = readWinkVectors(winkSource.path, isSingleBertToken, RECIPE.vocabularyWords);
  applySif(selected.vectors, selected.ranks, selected.dimensions, selected.vocabularySize, RECIPE.sif);
  const rows = quantizeRows(selected.vectors, selected.dimensions, SPECIAL_TOKENS.length);
  const vocab = [...SPECIAL_TOKENS, ...selected.words];
  const files: Record<string, string | Uint8Array> = {
    'config.json': modelConfigJson(vocab.length, selected.dimensions),
    'tokenizer.json': tokenizerJson(vocab),
    'tokenizer_config.json': tokenizerConfigJson(),
    // The same vocabulary, read by Footnote's own tokenizer for this model (word-tokenizer.ts) in a fraction of the time.
    [VOCAB_FILE]: `${vocab.join('\n')}\n`,
    'onnx/model.onnx': encodeEmbeddingModel(rows, selected.dimensions),
  };

  const stamp: Stamp = {
    recipe: RECIPE,
    source,
    vocabSize: vocab.length,
    dimensions: selected.dimensions,
    files: {},
  };
  // Build next to the target so the final rename stays on one filesystem.
  const tmpDir = `${outDir}.tmp-${uniqueSuffix()}`;
  try {
    for (const [name, content] of Object.entries(files)) {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      await mkdir(dirname(join(tmpDir, name)), { recursive: true });
      await writeFile(join(tmpDir, name), bytes);
      stamp.files[name] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
    }
    await writeFile(join(tmpDir, MODEL_STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
    await replaceDir(tmpDir, outDir);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return result(false, stamp);
}

/** The stamp in `dir` if it records this recipe and source and every file still matches its hash. */
async function currentStamp(dir: string, source: Stamp['source']): Promise<Stamp | null> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(join(dir, MODEL_STAMP_FILE), 'utf8')) as Stamp;
  } catch {
    return null;
  }
  if (JSON.stringify([stamp.recipe, stamp.source]) !== JSON.stringify([RECIPE, source])) return null;
  for (const [name, expected] of Object.entries(stamp.files ?? {})) {
    const bytes = await readFile(join(dir, name)).catch(() => null);
    if (bytes?.byteLength !== expected.bytes || sha256(bytes) !== expected.sha256) return null;
  }
  return stamp;
}

/** Swaps `tmpDir` in as `dir`; the old directory (if any) is moved aside first, then deleted. */
async function replaceDir(tmpDir: string, dir: string): Promise<void> {
  const oldDir = `${dir}.old-${uniqueSuffix()}`;
  await rename(dir, oldDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  try {
    await rename(tmpDir, dir);
  } catch (error) {
    // Another process installed its build in between; builds are deterministic, so theirs is as good.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  await rm(oldDir, { recursive: true, force: true });
}

function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: DEFAULT_MODEL_DIR },
      force: { type: 'boolean', default: false },
    },
  });
  const result = await buildModel({ outDir: values.out, force: values.force });
  const where = relative(process.cwd(), result.dir) || '.';
  const size = (result.bytes / 1e6).toFixed(1);
  console.log(
    result.skipped
      ? `model up to date: ${where} (${size} MB, ${result.vocabSize} tokens), checked in ${result.seconds.toFixed(1)} s`
      : `built ${where} in ${result.seconds.toFixed(1)} s: ${size} MB, ${result.vocabSize} tokens`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

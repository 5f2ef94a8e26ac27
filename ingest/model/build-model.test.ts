import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from './build-model.ts';
import { DEFAULT_MODEL_DIR } from './paths.ts';

const STAMP = 'footnote-build.json';

describe('buildModel', () => {
  it('builds the default model once, then finds it current', async () => {
    const first = await buildModel();
    expect(first.dir).toBe(DEFAULT_MODEL_DIR);
    expect(first.vocabSize).toBe(200_002);

    const second = await buildModel();
    expect(second.skipped).toBe(true);
    expect(second.bytes).toBe(first.bytes);
  }, 60_000);

  it('rebuilds byte-identical files, and rebuilds when a file no longer matches its stamp', async () => {
    await buildModel();
    const tmp = await mkdtemp(join(tmpdir(), 'footnote-model-'));
    const outDir = join(tmp, 'glove');
    try {
      const built = await buildModel({ outDir, force: true });
      expect(built.skipped).toBe(false);
      // The stamp holds every file's sha256, so equal stamps mean equal files.
      expect(await readFile(join(outDir, STAMP), 'utf8')).toBe(
        await readFile(join(DEFAULT_MODEL_DIR, STAMP), 'utf8'),
      );

      await writeFile(join(outDir, 'tokenizer_config.json'), '{}');
      expect((await buildModel({ outDir })).skipped).toBe(false);
      expect((await buildModel({ outDir })).skipped).toBe(true);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

import { readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { run, seedsWorkspace } from '../test/helpers.ts';
import { FILES, IndexError, loadIndex } from '../store/generations.ts';

/** A copy of the seeds index whose manifest lost its `files` checksums, and one passage edited. */
async function uncheckedIndex() {
  const ws = await seedsWorkspace(inject('seedsIndexDir'));
  const dir = await realpath(ws.indexDir);
  const manifestFile = path.join(dir, FILES.manifest);
  const { files: _, ...manifest } = JSON.parse(await readFile(manifestFile, 'utf8'));
  await writeFile(manifestFile, JSON.stringify(manifest));
  const passagesFile = path.join(dir, FILES.passages);
  const passages = await readFile(passagesFile, 'utf8');
  await writeFile(passagesFile, passages.replace('Lukashenko', 'Lukashenkx'));
  return ws;
}

describe('an index without checksums', () => {
  it('is refused by loadIndex with a hint to re-ingest', async () => {
    const ws = await uncheckedIndex();
    const err = await loadIndex(ws.indexDir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IndexError);
    expect((err as IndexError).message).toMatch(/checksums/);
    expect((err as IndexError).hint).toBe('run npm run ingest to rebuild the index');
  });

  it('makes the server refuse to start with one line (exit 2)', async () => {
    const ws = await uncheckedIndex();
    const r = await run(['server/main.ts'], { INDEX_DIR: ws.indexDir, PORT: '0' }, 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^footnote: .*checksums.*: run npm run ingest to rebuild the index$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

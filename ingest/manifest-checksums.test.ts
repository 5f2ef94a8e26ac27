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

/** A copy of the seeds index whose graph is a real hnswlib graph one point short, its checksum updated to match. */
async function shortGraphIndex() {
  const { createHash } = await import('node:crypto');
  const hnswlib = (await import('hnswlib-node')).default;
  const ws = await seedsWorkspace(inject('seedsIndexDir'));
  const dir = await realpath(ws.indexDir);
  const manifestFile = path.join(dir, FILES.manifest);
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
  const dims: number = manifest.model.dimensions;
  const vectors = new Float32Array((await readFile(path.join(dir, FILES.vectors))).buffer.slice(0));
  const count = vectors.length / dims;
  const graph = new hnswlib.HierarchicalNSW('cosine', dims);
  graph.initIndex(count);
  for (let i = 0; i < count - 1; i++) graph.addPoint(Array.from(vectors.subarray(i * dims, (i + 1) * dims)), i);
  const graphFile = path.join(dir, FILES.hnsw);
  await graph.writeIndex(graphFile);
  const bytes = await readFile(graphFile);
  manifest.files[FILES.hnsw] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  await writeFile(manifestFile, JSON.stringify(manifest));
  return dir;
}

describe('a graph that disagrees with its passages under a matching checksum', () => {
  it('is refused whether the graph is read before answering or after (the server reads its header first)', async () => {
    const dir = await shortGraphIndex();
    for (const graphLater of [false, true]) {
      const err = await loadIndex(dir, { graphLater }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(IndexError);
      expect((err as IndexError).message).toBe(`${FILES.hnsw} in ${dir} is inconsistent`);
      expect((err as IndexError).hint).toBe('run npm run ingest to rebuild the index');
    }
  });
});

import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readlink, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { seedsWorkspace, type Workspace } from '../test/helpers.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { loadIndex, writeIndex, WriteStopped } from '../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from './model/paths.ts';
import { ingest } from './pipeline.ts';

let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
});

const reingest = (ws: Workspace) =>
  ingest({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, embedder, maxBytes: 5 * 1024 * 1024 });
const generations = (ws: Workspace) => `${ws.indexDir}.generations`;

describe('what killed ingests leave behind', () => {
  it('partial generations and temporary links are removed by the next ingest', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    // Three killed ingests: two half-written generations and a temporary link to one of them.
    for (const name of ['2020-01-01T00-00-00-000Z-aaaa0001', '2020-01-01T00-00-00-000Z-aaaa0002']) {
      await mkdir(path.join(generations(ws), `${name}.partial`), { recursive: true });
      await writeFile(path.join(generations(ws), `${name}.partial`, 'vectors.f32'), Buffer.alloc(4096));
    }
    const tmpLink = `${ws.indexDir}.link-0badc0de`;
    await symlink(path.join(generations(ws), '2020-01-01T00-00-00-000Z-aaaa0001'), tmpLink);

    await reingest(ws);
    expect((await readdir(generations(ws))).filter((e) => e.endsWith('.partial'))).toEqual([]);
    expect((await readdir(path.dirname(ws.indexDir))).filter((e) => e.includes('.link-'))).toEqual([]);
    expect((await loadIndex(ws.indexDir)).documents).toHaveLength(5);
  });

  it('a generation renamed but never published is not kept in place of the one being served', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const served = await realpath(ws.indexDir);
    // A kill after the rename of the generation and before the link swap: complete, never published,
    // and newer than the one served.
    const unpublished = path.join(generations(ws), '2999-01-01T00-00-00-000Z-deadbeef');
    await cp(served, unpublished, { recursive: true });

    const summary = await reingest(ws);
    expect(await realpath(ws.indexDir)).toBe(summary.generation);
    // The generation served when the ingest began stays (a server may still read it); the unpublished one goes.
    expect(existsSync(served)).toBe(true);
    expect(existsSync(unpublished)).toBe(false);

    // And the next ingest keeps the one it replaces, never the one it serves.
    const second = await reingest(ws);
    expect(existsSync(second.generation)).toBe(true);
    expect(existsSync(summary.generation)).toBe(true);
    expect(existsSync(served)).toBe(false);
    expect(path.basename(await readlink(ws.indexDir))).toBe(path.basename(second.generation));
  });
});

describe('a whole-generation write that is stopped (a merge giving way to a change)', () => {
  it('at any of its steps publishes nothing and leaves nothing behind', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const served = await realpath(ws.indexDir);
    const index = await loadIndex(ws.indexDir);
    let steps = 0;
    // Count the places it may stop, then stop at each one in turn.
    await writeIndex(ws.indexDir, index, index.hnsw, () => (steps++, false));
    const published = await realpath(ws.indexDir);
    expect(published).not.toBe(served);
    expect(steps).toBeGreaterThan(5);
    for (let at = 0; at < steps; at++) {
      let asked = 0;
      await expect(writeIndex(ws.indexDir, index, index.hnsw, () => asked++ === at)).rejects.toBeInstanceOf(WriteStopped);
      expect(await realpath(ws.indexDir)).toBe(published);
      expect((await readdir(generations(ws))).filter((e) => e.endsWith('.partial'))).toEqual([]);
    }
    expect((await loadIndex(ws.indexDir)).passages).toEqual(index.passages);
  });
});

describe('a lock left by a previous process', () => {
  it('with this very pid (a restarted container reuses pids) is taken over, not waited on', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    await writeFile(`${ws.indexDir}.lock`, String(process.pid));
    // Waited on, it would end in "index is locked by process <this pid>" after a minute.
    const summary = await reingest(ws);
    expect(summary.documents).toBe(5);
    expect(existsSync(`${ws.indexDir}.lock`)).toBe(false);
  }, 90_000);
});

import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadIndex } from '../../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../../ingest/model/paths.ts';
import { seedsWorkspace, type Workspace } from '../../test/helpers.ts';
import { Corpus } from './corpus.ts';
import { LiveEngine } from './live-engine.ts';
import { silentLogger } from '../logger.ts';

/** What ran on this (the event loop's) thread: the CPU-heavy steps of an index change are counted. */
const onLoop = vi.hoisted(() => ({ split: 0, hnsw: 0, written: 0 }));
vi.mock('../../ingest/passages.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../ingest/passages.ts')>();
  return {
    ...mod,
    toPassages: (...args: Parameters<typeof mod.toPassages>) => {
      onLoop.split++;
      return mod.toPassages(...args);
    },
  };
});
vi.mock('../../store/generations.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../store/generations.ts')>();
  return {
    ...mod,
    hnswBuilder: (...args: Parameters<typeof mod.hnswBuilder>) => {
      onLoop.hnsw++;
      return mod.hnswBuilder(...args);
    },
    writeIndex: (...args: Parameters<typeof mod.writeIndex>) => {
      onLoop.written++;
      return mod.writeIndex(...args);
    },
  };
});

let ws: Workspace;
let live: LiveEngine;
let corpus: Corpus;
/** Texts the serving engine's embedder (on the event loop) was asked to embed. */
const embeddedOnLoop: string[] = [];

beforeAll(async () => {
  ws = await seedsWorkspace(inject('seedsIndexDir'));
  live = new LiveEngine({
    indexDir: ws.indexDir,
    modelsDir: MODELS_DIR,
    modelId: DEFAULT_MODEL_ID,
    logger: silentLogger,
  });
  await live.reload();
  const embedder = live.state().engine?.embedder;
  if (!embedder) throw new Error('no engine');
  const embed = embedder.embed.bind(embedder);
  embedder.embed = (texts) => {
    embeddedOnLoop.push(...texts);
    return embed(texts);
  };
  corpus = new Corpus({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, maxDocBytes: 1 << 20, live });
});

describe('documents API writes run off the event loop', () => {
  it('an add and a delete split passages, build the HNSW graph and write the index in a worker thread', async () => {
    const text = Array.from(
      { length: 60 },
      (_, i) => `The Varrow canal lock ${i} raised ${100 + i} barges in week ${i + 1} of the season.`,
    ).join('\n\n');
    const added = await corpus.add({ id: 'varrow', title: 'Varrow canal', body: text, format: 'text' });
    expect(added.passages).toBeGreaterThan(1);
    // Only the new passages are embedded here (onnxruntime stays on one thread); nothing else of the change.
    expect(new Set(embeddedOnLoop).size).toBe(added.passages);
    expect(onLoop).toEqual({ split: 0, hnsw: 0, written: 0 });
    // The published index is complete and served.
    const onDisk = await loadIndex(ws.indexDir);
    expect(onDisk.documents.map((d) => d.docId)).toContain('varrow');
    expect(onDisk.passages.filter((p) => p.docId === 'varrow')).toHaveLength(added.passages);
    expect(live.state().engine?.documents.has('varrow')).toBe(true);
    const answer = await live.state().engine?.retrieve('barges raised by the Varrow canal lock', {
      mode: 'dense',
      k: 3,
    });
    expect(answer?.[0]?.passage.docId).toBe('varrow');

    await corpus.remove('varrow');
    expect(onLoop).toEqual({ split: 0, hnsw: 0, written: 0 });
    expect((await loadIndex(ws.indexDir)).documents.map((d) => d.docId)).not.toContain('varrow');
    expect(live.state().engine?.documents.has('varrow')).toBe(false);
  });
});

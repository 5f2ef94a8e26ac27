import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createEmbedder, type Embedder } from '../ingest/embedder.ts';
import { loadIndex } from '../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingest } from '../ingest/pipeline.ts';
import { seedsWorkspace, type Workspace } from '../test/helpers.ts';
import { Corpus } from './live/corpus.ts';
import { LiveEngine } from './live/live-engine.ts';
import { silentLogger } from './logger.ts';

/**
 * Every `readdir` of a corpus folder goes through `onCorpusList` when a test sets it: the moment an ingest
 * lists the corpus is the event these tests interleave other writers with.
 */
const hooks = vi.hoisted(() => ({
  corpusDir: '',
  onCorpusList: null as null | (() => Promise<void>),
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (...args: Parameters<typeof fs.readdir>) => {
    const result = await fs.readdir(...args);
    const hook = hooks.onCorpusList;
    if (hook && hooks.corpusDir && path.resolve(String(args[0])) === hooks.corpusDir) {
      hooks.onCorpusList = null;
      await hook();
    }
    return result;
  }) as typeof fs.readdir;
  return { ...fs, default: { ...fs, readdir }, readdir };
});

let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
});
afterEach(() => {
  hooks.onCorpusList = null;
});

async function liveCorpus(ws: Workspace): Promise<{ live: LiveEngine; corpus: Corpus }> {
  const live = new LiveEngine({
    indexDir: ws.indexDir,
    modelsDir: MODELS_DIR,
    modelId: DEFAULT_MODEL_ID,
    logger: silentLogger,
  });
  await live.reload();
  const corpus = new Corpus({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, maxDocBytes: 1 << 20, live });
  return { live, corpus };
}

describe('one writer: the CLI ingest and the documents API', () => {
  it('a document the API confirmed while a CLI ingest was reading the corpus survives that ingest', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const { live, corpus } = await liveCorpus(ws);
    hooks.corpusDir = path.resolve(ws.corpusDir);
    let added: Promise<unknown> | null = null;
    // The API's add starts right when the CLI ingest has listed the corpus. If that ingest holds the index
    // lock, the add waits for it; if it does not, the add completes (201) before the ingest publishes.
    hooks.onCorpusList = async () => {
      added = corpus.add({
        id: 'glasswing',
        body: 'The Glasswing ferry carried 5,150 passengers across the Morrow strait in June.',
        format: 'text',
      });
      if (!existsSync(`${ws.indexDir}.lock`)) await added;
    };
    const cli = await ingest({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, embedder, maxBytes: 1 << 20 });
    expect(added).not.toBeNull();
    expect(await added).toMatchObject({ id: 'glasswing' });
    expect(cli.documents).toBeGreaterThan(0);
    // Whatever order they ran in, the published index has the confirmed document, and it is served.
    await live.reload();
    const onDisk = await loadIndex(ws.indexDir);
    expect(onDisk.documents.map((d) => d.docId)).toContain('glasswing');
    expect(live.state().engine?.documents.has('glasswing')).toBe(true);
    expect(existsSync(path.join(ws.corpusDir, 'glasswing.txt'))).toBe(true);
    // Not stuck: it can be deleted, and then it is gone from the folder and the index.
    await corpus.remove('glasswing');
    expect((await loadIndex(ws.indexDir)).documents.map((d) => d.docId)).not.toContain('glasswing');
    expect(existsSync(path.join(ws.corpusDir, 'glasswing.txt'))).toBe(false);
  });

  it('a file added while the documents API was reading the corpus is not dropped from the index', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const { corpus } = await liveCorpus(ws);
    hooks.corpusDir = path.resolve(ws.corpusDir);
    let cli: Promise<unknown> | null = null;
    hooks.onCorpusList = async () => {
      // A CLI ingest after someone dropped a file into the folder, while the API is mid-add.
      const { writeFile } = await import('node:fs/promises');
      await writeFile(
        path.join(ws.corpusDir, 'dropped.txt'),
        'Dropped in\n\nThe Quarrel bridge toll rose to 7 crowns in July.\n',
      );
      cli = ingest({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, embedder, maxBytes: 1 << 20 });
      if (!existsSync(`${ws.indexDir}.lock`)) await cli;
    };
    await corpus.add({
      id: 'lantern',
      body: 'The Lantern street market opened 44 new stalls this spring.',
      format: 'text',
    });
    expect(cli).not.toBeNull();
    await cli;
    const ids = (await loadIndex(ws.indexDir)).documents.map((d) => d.docId);
    expect(ids).toContain('lantern');
    expect(ids).toContain('dropped');
  });
});

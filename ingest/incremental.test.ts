import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../test/helpers.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { FILES, loadIndex } from '../store/generations.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from './model/paths.ts';
import { DEFAULT_CHUNKING } from './passages.ts';
import { ingest } from './pipeline.ts';

/** The real embedder, recording every text it is asked to embed. */
let embedder: Embedder;
let embedded: string[] = [];
let corpusDir: string;
let indexDir: string;

const reingest = (extra: Partial<Parameters<typeof ingest>[0]> = {}) => {
  embedded = [];
  return ingest({ corpusDir, indexDir, embedder, maxBytes: 5 * 1024 * 1024, ...extra });
};

beforeAll(async () => {
  const real = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  embedder = {
    ...real,
    embed: (texts) => {
      embedded.push(...texts);
      return real.embed(texts);
    },
  };
  const root = await mkdtemp(path.join(tmpdir(), 'footnote-incremental-'));
  corpusDir = path.join(root, 'seeds');
  indexDir = path.join(root, 'index');
  await cp('seeds', corpusDir, { recursive: true });
  const first = await reingest();
  expect(first.fullRebuildReason).toBe('no previous index');
});

// Each test starts from the index the previous one left: the order is the life of a corpus.
describe('re-ingesting a changed corpus embeds only what changed', () => {
  it('one document edited: only its new passages are embedded', async () => {
    const file = path.join(corpusDir, '002_cebfa29bc1daa768.txt');
    const edited = `${await readFile(file, 'utf8')}\n\nA late addition: the talks resumed on Thursday in Minsk with 14 delegates present.\n`;
    await writeFile(file, edited);
    const s = await reingest();
    expect(s.fullRebuildReason).toBeNull();
    expect(s.embedded).toBeGreaterThanOrEqual(1);
    expect(s.embedded).toBeLessThanOrEqual(2);
    expect(embedded.length).toBe(s.embedded);
    for (const text of embedded) expect(edited).toContain(text);
    expect(s.unchanged).toBe(s.passages - s.added);
    const index = await loadIndex(indexDir);
    expect(index.passages.some((p) => p.text.includes('14 delegates'))).toBe(true);
  });

  it('a file deleted: its passages disappear, nothing is embedded', async () => {
    const before = await loadIndex(indexDir);
    const gone = before.passages.filter((p) => p.docId === '000_d2ab432fcddea531').length;
    await rm(path.join(corpusDir, '000_d2ab432fcddea531.txt'));
    const s = await reingest();
    expect(s).toMatchObject({ embedded: 0, removed: gone, documents: 4 });
    const after = await loadIndex(indexDir);
    expect(after.passages.some((p) => p.docId === '000_d2ab432fcddea531')).toBe(false);
    expect(after.documents.map((d) => d.docId)).not.toContain('000_d2ab432fcddea531');
  });

  it('a file renamed, unchanged: nothing is embedded, the document takes its new name', async () => {
    await rename(
      path.join(corpusDir, '001_774f863917ca1d6a.txt'),
      path.join(corpusDir, 'lukashenko-speech.txt'),
    );
    const s = await reingest();
    expect(s).toMatchObject({ embedded: 0, added: 0, removed: 0 });
    const ids = (await loadIndex(indexDir)).documents.map((d) => d.docId);
    expect(ids).toContain('lukashenko-speech');
    expect(ids).not.toContain('001_774f863917ca1d6a');
  });

  it('a chunking change rebuilds everything and says why', async () => {
    const s = await reingest({ chunking: { ...DEFAULT_CHUNKING, maxChars: 400 } });
    expect(s.fullRebuildReason).toBe('chunking parameters changed');
    expect(s.embedded).toBe(new Set((await loadIndex(indexDir)).passages.map((p) => p.hash)).size);
    const back = await reingest();
    expect(back.fullRebuildReason).toBe('chunking parameters changed');
  });

  it('a model change rebuilds everything, and `npm run ingest` says so', async () => {
    // An index built with another model: its vectors live in another space and cannot be reused.
    const manifestFile = path.join(indexDir, FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    manifest.model.id = 'Xenova/all-MiniLM-L6-v2';
    await writeFile(manifestFile, JSON.stringify(manifest));
    const r = await run(['ingest/main.ts', '--dir', corpusDir, '--index-dir', indexDir]);
    expect(r.code, r.stderr).toBe(0);
    const reason =
      'full rebuild: embedding model changed (Xenova/all-MiniLM-L6-v2 → footnote/glove-sif-100d)';
    expect(r.stderr).toContain(reason);
    expect(r.stdout).toContain(reason);
    const passages = (await loadIndex(indexDir)).passages.length;
    expect(r.stdout).toMatch(new RegExp(`${passages} embedding\\(s\\) computed`));
  });
});

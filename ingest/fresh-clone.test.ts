import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../test/helpers.ts';
import { loadIndex } from '../store/generations.ts';

describe('npm run ingest on a fresh clone (the embedding model not built yet)', () => {
  it('builds the model first, says so in one line, and indexes the corpus', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'footnote-fresh-'));
    const indexDir = path.join(root, 'index');
    const r = await run(['ingest/main.ts', '--dir', 'seeds', '--index-dir', indexDir], {
      MODELS_DIR: path.join(root, 'models'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/^building the embedding model .* first/m);
    expect(r.stdout).toMatch(/indexed 5 document\(s\)/);
    expect((await loadIndex(indexDir)).documents).toHaveLength(5);
  }, 120_000);

  it('a model that cannot be loaded is one line and exit 2, not a stack trace', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'footnote-fresh-'));
    const r = await run(['ingest/main.ts', '--dir', 'seeds', '--index-dir', path.join(root, 'index')], {
      MODELS_DIR: path.join(root, 'models'),
      EMBEDDING_MODEL: 'no-such-org/no-such-model',
      HF_HUB_OFFLINE: '1',
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*no-such-org\/no-such-model/);
  }, 120_000);
});

import { cp, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, spawnNode, startServer } from '../test/helpers.ts';
import { FILES, loadIndex } from '../store/generations.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'footnote-ingest-'));
});

const ingestCli = (dir: string, indexDir: string, ...extra: string[]) =>
  run(['ingest/main.ts', '--dir', dir, '--index-dir', indexDir, ...extra]);

async function read(indexDir: string, file: string): Promise<string> {
  return readFile(path.join(indexDir, file), 'utf8');
}

/** A corpus big enough (~19k passages) that a kill lands mid-ingest: the seeds, varied per copy. */
async function bigCorpus(): Promise<string> {
  const dir = path.join(work, 'big');
  await mkdir(dir, { recursive: true });
  const seeds = await Promise.all(
    ['000_d2ab432fcddea531', '001_774f863917ca1d6a', '004_ec9c24d3208588b7'].map((s) =>
      readFile(`seeds/${s}.txt`, 'utf8'),
    ),
  );
  for (let i = 0; i < 400; i++) {
    const text = seeds.join('\n\n').replace(/\n/g, ` Copy ${i}.\n`);
    await writeFile(path.join(dir, `copy-${String(i).padStart(3, '0')}.txt`), text);
  }
  return dir;
}

describe('npm run ingest', () => {
  it('is deterministic: the same corpus gives identical passages, vectors and manifest hashes', async () => {
    const a = path.join(work, 'a/index');
    const b = path.join(work, 'b/index');
    const ra = await ingestCli('seeds', a);
    const rb = await ingestCli('seeds', b);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(ra.stdout).toMatch(/indexed 5 document\(s\), \d+ passage\(s\)/);
    for (const f of [FILES.passages, FILES.documents]) expect(await read(a, f)).toBe(await read(b, f));
    expect(await readFile(path.join(a, FILES.vectors))).toEqual(await readFile(path.join(b, FILES.vectors)));
    const { createdAt: _a, ...ma } = JSON.parse(await read(a, FILES.manifest));
    const { createdAt: _b, ...mb } = JSON.parse(await read(b, FILES.manifest));
    expect(ma).toEqual(mb);
    expect(ma.model).toEqual({ id: 'footnote/glove-sif-100d', dimensions: 100 });
    expect(ma.documents).toHaveLength(5);
  });

  it('re-ingesting an unchanged corpus computes no embeddings', async () => {
    const dir = path.join(work, 'a/index');
    const again = await ingestCli('seeds', dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 added, 0 removed, \d+ unchanged; 0 embedding\(s\) computed/);
  });

  it('refuses an empty corpus folder with exit code 2 and leaves the previous index untouched', async () => {
    const indexDir = path.join(work, 'a/index');
    const before = await readlink(indexDir);
    const empty = path.join(work, 'empty');
    await mkdir(empty);
    const r = await ingestCli(empty, indexDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no documents to index/);
    expect(await readlink(indexDir)).toBe(before);
    const missing = await ingestCli(path.join(work, 'nope'), indexDir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
  });

  it.each([
    ['during splitting and embedding', /indexed [1-9]\d*\/\d+ documents/],
    ['during the index write', /indexed (\d+)\/\1 documents/],
  ])(
    'a SIGKILL %s leaves the previous index loadable, a server on it answering; the next ingest completes',
    async (_, when) => {
      const indexDir = path.join(work, 'kill/index');
      await mkdir(path.dirname(indexDir), { recursive: true });
      await cp('seeds', path.join(work, 'kill-seeds'), { recursive: true });
      expect((await ingestCli(path.join(work, 'kill-seeds'), indexDir)).code).toBe(0);
      const before = await loadIndex(indexDir);
      const big = await bigCorpus();
      const server = await startServer({ INDEX_DIR: indexDir, RATE_LIMIT_PER_MINUTE: '0' });
      const statuses: number[] = [];
      let asking = true;
      const asker = (async () => {
        while (asking) {
          const res = await fetch(
            `${server.url}/ask?q=${encodeURIComponent('What did Lukashenko say about peace talks?')}`,
          );
          statuses.push(res.status);
          await res.text();
          // A breath between questions so that they do not starve the ingest of CPU (not a wait for anything).
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const ingesting = spawnNode(['ingest/main.ts', '--dir', big, '--index-dir', indexDir, '--full']);
      // Rejects, with the output, if the ingest ends before reaching that point.
      await ingesting.waitForOutput(when);
      ingesting.child.kill('SIGKILL');
      await ingesting.closed;

      const after = await loadIndex(indexDir);
      expect(after.manifest).toEqual(before.manifest);
      expect(after.passages).toEqual(before.passages);
      const health = async () =>
        (await (await fetch(`${server.url}/health`)).json()) as { status: string; indexCreatedAt: string };
      expect(await health()).toMatchObject({ status: 'ok', indexCreatedAt: before.manifest.createdAt });

      const next = await ingestCli(path.join(work, 'kill-seeds'), indexDir);
      expect(next.code, next.stderr).toBe(0);
      const published = await loadIndex(indexDir);
      expect(published.manifest.counts).toEqual(before.manifest.counts);
      // The server loads the completed index by itself.
      await expect
        .poll(async () => (await health()).indexCreatedAt, { timeout: 30_000 })
        .toBe(published.manifest.createdAt);
      asking = false;
      await asker;
      await server.stop();
      expect(statuses.length).toBeGreaterThan(10);
      expect(statuses.every((s) => s === 200)).toBe(true);
    },
    // Three CLI runs and a server, each a cold Node start: minutes on a loaded two-core machine.
    240_000,
  );
});

describe('npm run ingest -- --watch', () => {
  it('re-ingests when a file is added or removed, and a server on the index answers from it', async () => {
    const corpus = path.join(work, 'watch/seeds');
    const indexDir = path.join(work, 'watch/index');
    await cp('seeds', corpus, { recursive: true });
    const watcher = spawnNode(['ingest/main.ts', '--dir', corpus, '--index-dir', indexDir, '--watch']);
    try {
      await watcher.waitForOutput(/watching .* for changes/);
      const server = await startServer({ INDEX_DIR: indexDir });
      try {
        const question = encodeURIComponent('How many otters live in the Glimmerbrook estuary?');
        const ask = async () =>
          (await (await fetch(`${server.url}/ask?q=${question}`)).json()) as {
            answer: string;
            abstained: boolean;
          };
        expect((await ask()).abstained).toBe(true);

        let from = watcher.output().length;
        const loadedFrom = server.output().length;
        await writeFile(
          path.join(corpus, 'otters.txt'),
          'Otter census\n\nRangers counted 212 otters living in the Glimmerbrook estuary this spring.\n',
        );
        // Only the new file is embedded: its headline and its sentence, two passages.
        await watcher.waitForOutput(/indexed 6 document\(s\)[^\n]*\n[^\n]*; 2 embedding\(s\) computed/, from);
        await server.waitForOutput(/"documents":6,.*"msg":"index loaded"/, loadedFrom);
        expect((await ask()).answer).toContain('212 otters');

        from = watcher.output().length;
        await rm(path.join(corpus, 'otters.txt'));
        await watcher.waitForOutput(/indexed 5 document\(s\)[^\n]*\n[^\n]*2 removed/, from);
      } finally {
        await server.stop();
      }
    } finally {
      watcher.child.kill('SIGTERM');
    }
    expect(await watcher.closed).toBe(0);
  });
});

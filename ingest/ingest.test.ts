import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../test/helpers.ts';
import { FILES, loadIndex } from './index-store.ts';

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
    ['during embedding', (line: string) => /embedding [1-9]\d*\/\d+/.test(line)],
    ['during the index write', (line: string) => /embedding (\d+)\/\1 passages/.test(line)],
  ])('a SIGKILL %s leaves the previous index loadable; the next ingest completes', async (_, when) => {
    const indexDir = path.join(work, 'kill/index');
    await mkdir(path.dirname(indexDir), { recursive: true });
    await cp('seeds', path.join(work, 'kill-seeds'), { recursive: true });
    expect((await ingestCli(path.join(work, 'kill-seeds'), indexDir)).code).toBe(0);
    const before = await loadIndex(indexDir);
    const big = await bigCorpus();

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'ingest/main.ts', '--dir', big, '--index-dir', indexDir, '--full'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const killed = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        if (d.toString().split('\n').some(when)) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      child.once('exit', () => resolve(false));
    });
    await new Promise((r) => child.once('exit', r));
    expect(killed).toBe(true);

    const after = await loadIndex(indexDir);
    expect(after.manifest).toEqual(before.manifest);
    expect(after.passages).toEqual(before.passages);

    const next = await ingestCli(path.join(work, 'kill-seeds'), indexDir);
    expect(next.code, next.stderr).toBe(0);
    expect((await loadIndex(indexDir)).manifest.counts).toEqual(before.manifest.counts);
  });
});

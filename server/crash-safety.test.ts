import { existsSync, watch } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { type RunningServer, seedsWorkspace, startServer, type Workspace } from '../test/helpers.ts';

const TOKEN = 'crash-safety-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const start = (ws: Workspace) =>
  startServer({
    INDEX_DIR: ws.indexDir,
    CORPUS_DIR: ws.corpusDir,
    FOOTNOTE_ADMIN_TOKEN: TOKEN,
    RATE_LIMIT_PER_MINUTE: '0',
    INDEX_WATCH: 'false',
  });

/** A long article (~1,500 passages), so its ingest is still running when the test kills the server. */
function bigArticle(tag: string): string {
  const lines = [`The ${tag} chronicle`, ''];
  for (let i = 0; i < 3000; i++) {
    lines.push(
      `In year ${1000 + i} the ${tag} guild of ward ${i % 97} counted ${i * 7 + 13} barrels and ${i % 13} carts at gate ${i % 31}.`,
    );
    if (i % 2 === 1) lines.push('');
  }
  return lines.join('\n');
}

/** Resolves when a file name in `dir` satisfies `match` (checked at each change), then runs `then`. */
function onFolderChange(dir: string, match: (file: string) => boolean, then: () => void): Promise<string> {
  return new Promise((resolve) => {
    const w = watch(dir, (_, file) => {
      if (file && match(file)) {
        then();
        w.close();
        resolve(file);
      }
    });
  });
}

const status = async (server: RunningServer, id: string) =>
  (await fetch(`${server.url}/documents/${id}`)).status;
const leftovers = async (dir: string, id: string) =>
  (await readdir(dir)).filter((f) => f.startsWith('.') && f.includes(id));

/** After a crash and a restart, a document is either fully there or fully absent, and never stuck. */
async function expectOldOrNewState(
  ws: Workspace,
  id: string,
  fileName: string,
  confirmed = false,
): Promise<void> {
  const halfDone = (await leftovers(ws.corpusDir, id)).length > 0;
  let server = await start(ws);
  try {
    // The restart settled the half-done change and said so.
    expect(await leftovers(ws.corpusDir, id)).toEqual([]);
    if (halfDone) {
      const line = server.output().split('\n').find((l) => l.includes('reconciled the corpus folder'));
      expect(line).toContain(id);
    }
    const present = (await status(server, id)) === 200;
    // A confirmed change is durable: its index was published before the response was sent.
    if (confirmed) expect(present).toBe(true);
    expect(existsSync(path.join(ws.corpusDir, fileName))).toBe(present);
    if (present) {
      const del = await fetch(`${server.url}/documents/${id}`, { method: 'DELETE', headers: auth });
      expect(del.status).toBe(200);
    } else {
      const again = await fetch(`${server.url}/documents`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id, text: `The ${id} council met on 3 May and approved 12 benches.` }),
      });
      expect(again.status).toBe(201);
      expect((await fetch(`${server.url}/documents/${id}`, { method: 'DELETE', headers: auth })).status).toBe(
        200,
      );
    }
    expect(await status(server, id)).toBe(404);
    await server.stop();
    // Deleted stays deleted: nothing comes back after another restart.
    server = await start(ws);
    expect(await status(server, id)).toBe(404);
    const ids = ((await (await fetch(`${server.url}/documents`)).json()) as { documents: { id: string }[] })
      .documents;
    expect(ids.map((d) => d.id)).not.toContain(id);
    expect((await readdir(ws.corpusDir)).filter((f) => f.includes(id))).toEqual([]);
  } finally {
    await server.stop();
  }
}

describe('a server killed in the middle of a document change', () => {
  it.each([
    ['as soon as anything for the new document appears in the corpus folder', (f: string) => f.includes('saga')],
    [
      'when the new document file itself appears in the corpus folder',
      (f: string) => f === 'saga.txt',
    ],
  ])('an add killed %s: after a restart it is fully there or fully absent', async (_, match) => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const server = await start(ws);
    const killed = onFolderChange(ws.corpusDir, match, () => server.child.kill('SIGKILL'));
    const res = fetch(`${server.url}/documents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'saga', text: bigArticle('saga') }),
    }).catch(() => null);
    await killed;
    await server.stop();
    const answered = await res;
    await expectOldOrNewState(ws, 'saga', 'saga.txt', answered?.status === 201);
  }, 180_000);

  it('a delete killed before its index is published: after a restart it is fully there or fully gone', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    let server = await start(ws);
    const added = await fetch(`${server.url}/documents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      // Any size: the kill lands when the file is moved aside, before anything is indexed.
      body: JSON.stringify({
        id: 'epic',
        text: 'The epic poem ran to 12 books.\n\nIt was recited in 3 nights.',
      }),
    });
    expect(added.status).toBe(201);
    await server.stop();
    server = await start(ws);
    const killed = onFolderChange(
      ws.corpusDir,
      (f) => f === 'epic.txt' && !existsSync(path.join(ws.corpusDir, f)),
      () => server.child.kill('SIGKILL'),
    );
    const res = fetch(`${server.url}/documents/epic`, { method: 'DELETE', headers: auth }).catch(() => null);
    await killed;
    await server.stop();
    await res;
    await expectOldOrNewState(ws, 'epic', 'epic.txt');
  }, 180_000);

  it('a restart indexes what changed in the corpus folder while no ingest ran, and logs it', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    await writeFile(path.join(ws.corpusDir, 'late.txt'), 'Late news\n\nThe Ombra dam held 9 million litres.\n');
    await rm(path.join(ws.corpusDir, '004_ec9c24d3208588b7.txt'));
    const server = await start(ws);
    try {
      expect(await status(server, 'late')).toBe(200);
      expect(await status(server, '004_ec9c24d3208588b7')).toBe(404);
      const line = server.output().split('\n').find((l) => l.includes('reconciled the corpus folder'));
      expect(line).toContain('late');
      expect(line).toContain('004_ec9c24d3208588b7');
    } finally {
      await server.stop();
    }
  });
});

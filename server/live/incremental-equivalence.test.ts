import { mkdtemp, realpath, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { readManifest } from '../../store/generations.ts';
import { plainDocument, plainPassage } from '../../store/format.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../../ingest/model/paths.ts';
import { ingest } from '../../ingest/pipeline.ts';
import { seedsWorkspace, type Workspace } from '../../test/helpers.ts';
import type { Bm25Index } from '../../store/lexical/bm25.ts';
import { persistedInitialisms } from '../../store/lexical/lexical-index.ts';
import { LayeredPostings } from '../../store/lexical/live-postings.ts';
import { FlatPostings } from '../../store/lexical/bm25.ts';
import { Corpus } from './corpus.ts';
import { type Engine, loadEngine } from '../qa/index.ts';
import { LiveEngine } from './live-engine.ts';
import { silentLogger } from '../logger.ts';

/**
 * An add or delete through the documents API changes the index in place (in the worker, and in memory on
 * the serving side); what is served and what is published must be what `npm run ingest` would build from the
 * same corpus folder. The seeds are small enough for HNSW search to be exact, so answers must be identical.
 */
let ws: Workspace;
let live: LiveEngine;
let corpus: Corpus;

const QUESTIONS = [
  'How many rounds of negotiations took place in Belarus?',
  'What did Lukashenko say about peace talks?',
  'Who is Mikhail Podolyak?',
  'What positive changes did Putin tell Lukashenko about?',
  'How many ferries did the Varrow canal lock near Brest raise?',
  'Who inspected the Varrow canal for Lukashenko?',
];

/**
 * Everything of a BM25 index that scores a passage: per-term postings (document frequencies), lengths, norms;
 * and the initialisms its queries expand ("JFK" → the stems of John F Kennedy).
 */
function lexicalStats(bm25: Bm25Index, passages: object) {
  const initialisms = [...(persistedInitialisms(passages) ?? [])].map(([k, stems]) => [k, [...stems].sort()]);
  return {
    initialisms: initialisms.sort(([a], [b]) => String(a).localeCompare(String(b))),
    count: bm25.count,
    avgLength: bm25.avgLength,
    lengths: [...bm25.lengths],
    norms: [...bm25.norms],
    postings: Object.fromEntries([...bm25.postings.entries()].map(([t, list]) => [t, [...list]])),
  };
}

async function answers(engine: Engine) {
  const out = [];
  for (const question of QUESTIONS) {
    const { timings: _, ...answer } = await engine.ask({ question });
    const dense = await engine.retrieve(question, { mode: 'dense', k: 5 });
    out.push({ question, answer, dense: dense.map((r) => [r.passage.id, r.similarity]) });
  }
  return out;
}

/** The served engine, and the published index read back, against a full rebuild of the corpus folder. */
async function expectSameAsFullRebuild(on: { ws: Workspace; live: LiveEngine } = { ws, live }): Promise<void> {
  const served = on.live.state().engine as Engine;
  const rebuiltDir = path.join(await mkdtemp(path.join(tmpdir(), 'footnote-rebuilt-')), 'index');
  await ingest({ corpusDir: on.ws.corpusDir, indexDir: rebuiltDir, embedder: served.embedder, maxBytes: 1 << 20, full: true });
  const rebuilt = await loadEngine({ indexDir: rebuiltDir, embedder: served.embedder });
  const published = await loadEngine({ indexDir: on.ws.indexDir, embedder: served.embedder });
  const expected = {
    documents: rebuilt.index.documents.map(plainDocument),
    passages: rebuilt.index.passages.map(plainPassage),
    lexical: lexicalStats(rebuilt.retriever.bm25, rebuilt.index.passages),
    answers: await answers(rebuilt),
  };
  for (const engine of [served, published]) {
    expect({
      documents: engine.index.documents.map(plainDocument),
      passages: engine.index.passages.map(plainPassage),
      lexical: lexicalStats(engine.retriever.bm25, engine.index.passages),
      answers: await answers(engine),
    }).toEqual(expected);
  }
}

/** A copy of the seeds workspace and a server's engine on it, for a writer of a test's own. */
async function servedWorkspace(): Promise<{ ws: Workspace; live: LiveEngine }> {
  const copy = await seedsWorkspace(inject('seedsIndexDir'));
  const served = new LiveEngine({ ...copy, modelsDir: MODELS_DIR, modelId: DEFAULT_MODEL_ID, logger: silentLogger });
  await served.reload();
  return { ws: copy, live: served };
}

beforeAll(async () => {
  ws = await seedsWorkspace(inject('seedsIndexDir'));
  live = new LiveEngine({ indexDir: ws.indexDir, modelsDir: MODELS_DIR, modelId: DEFAULT_MODEL_ID, logger: silentLogger });
  await live.reload();
  // Merges start as soon as writes pause, so some run between the writes below and some are stopped by them.
  corpus = new Corpus({ corpusDir: ws.corpusDir, indexDir: ws.indexDir, maxDocBytes: 1 << 20, live, mergeAfterMs: 0 });
});

afterAll(() => corpus.close());

describe('documents API changes give the index a full rebuild would', () => {
  it('an add, sorted between existing documents, without re-reading the index', async () => {
    const reread = vi.spyOn(live, 'reloadNow');
    // Each paragraph in words of its own: equally close passages would make the dense ranking a tie.
    const boats = ['barges', 'ferries', 'tugboats', 'rafts', 'steamers', 'schooners', 'canoes', 'yachts'];
    const towns = ['Gomel', 'Brest', 'Vitebsk', 'Grodno', 'Mogilev', 'Pinsk', 'Orsha', 'Lida'];
    const text = boats
      .map(
        (boat, i) =>
          `The Varrow canal lock near ${towns[i]} raised ${100 + i} ${boat}; Lukashenko sent inspector Olga Brenn to report on the talks.`,
      )
      .join('\n\n');
    // "001b-…" sorts between 001_… and 002_…: later passages move, as in a rebuild.
    await corpus.add({ id: '001b-varrow', title: 'Varrow canal', body: text, format: 'text' });
    expect(reread).not.toHaveBeenCalled();
    // BM25 changed by a layer over the postings the server loaded, not copied whole.
    expect(live.state().engine?.retriever.bm25.postings).toBeInstanceOf(LayeredPostings);
    await expectSameAsFullRebuild();
    const { answer } = await (live.state().engine as Engine).ask({ question: 'Who inspected the Varrow canal for Lukashenko?' });
    expect(answer).toContain('Olga Brenn');
  });

  it('a delete of a seed document: its words leave the vocabulary and document frequencies drop', async () => {
    const reread = vi.spyOn(live, 'reloadNow');
    await corpus.remove('003_34b0f79b61c39af3');
    expect(reread).not.toHaveBeenCalled();
    await expectSameAsFullRebuild();
  });

  it('another add after a delete, then deleting it again', async () => {
    await corpus.add({
      id: 'zz-harbour',
      title: 'Harbour works',
      body: 'The breakwater at Port Tarrow cost 1,250 thousand dollars, Lukashenko said in Minsk.',
      format: 'text',
    });
    await expectSameAsFullRebuild();
    await corpus.remove('001b-varrow');
    await expectSameAsFullRebuild();
  });

  it('past the changes a generation should carry, they are merged into a whole one when writes pause', async () => {
    const reread = vi.spyOn(live, 'reloadNow');
    const cities = ['Minsk', 'Kyiv', 'Warsaw', 'Vilnius', 'Riga', 'Tallinn', 'Prague', 'Vienna', 'Berlin'];
    for (const [i, city] of cities.entries()) {
      await corpus.add({
        id: `note-${i}`,
        title: `A note from ${city}`,
        body: `Delegates met in ${city} on day ${i + 1} and agreed on ${i + 2} points about grain exports.`,
        format: 'text',
      });
      await corpus.remove(i % 2 ? `note-${i - 1}` : 'zz-harbour');
      if (i % 2 === 0) {
        await corpus.add({ id: 'zz-harbour', title: 'Harbour works', body: `Port Tarrow, pier ${i}.`, format: 'text' });
      }
    }
    // 27 changes so far. Once the merge after the last one has run, the published generation is whole
    // (deleted points kept in its graph) and served as it was, without reading it again.
    await corpus.merged();
    const manifest = await readManifest(ws.indexDir);
    expect(manifest?.changes).toBeUndefined();
    expect(path.basename(live.state().engine?.index.dir ?? '')).toBe(path.basename(await realpath(ws.indexDir)));
    expect(reread).not.toHaveBeenCalled();
    await expectSameAsFullRebuild();
  });

  it('a write during a merge goes first; nothing is lost and the merge follows', async () => {
    // The log is whole again: 16 changes make a merge due, the 17th arrives as it starts.
    for (let i = 0; i < 8; i++) {
      await corpus.add({ id: `race-${i}`, title: 'Race', body: `Grain barge ${i} left Pinsk on day ${i + 3}.`, format: 'text' });
      await corpus.remove(`race-${i}`);
    }
    const merging = corpus.merged();
    await corpus.add({ id: 'race-last', title: 'Race', body: 'The last grain barge left Pinsk at dawn.', format: 'text' });
    await merging;
    await corpus.merged();
    expect((await readManifest(ws.indexDir))?.changes).toBeUndefined();
    expect(live.state().engine?.documents.has('race-last')).toBe(true);
    await expectSameAsFullRebuild();
  });
});

describe('a served BM25 layer past its limit', () => {
  it('is replaced by the writer’s whole index, the same a rebuild gives', async () => {
    const on = await servedWorkspace();
    const served = on.live;
    // Past one passage changed in memory (each of these documents is one), the writer sends its whole index.
    const writer = new Corpus({ ...on.ws, maxDocBytes: 1 << 20, live: served, lexicalLayerLimit: 1 });
    const postings = () => served.state().engine?.retriever.bm25.postings;
    try {
      const body = (i: number) => `Pier ${i} at Port Tarrow reopened in May.\n\nThe ferry to pier ${i} runs daily.`;
      await writer.add({ id: 'zz-pier-1', title: 'Pier', body: body(1), format: 'text' });
      expect(postings()).toBeInstanceOf(LayeredPostings);
      await writer.add({ id: 'zz-pier-2', title: 'Pier', body: body(2), format: 'text' });
      expect(postings()).toBeInstanceOf(LayeredPostings);
      await writer.add({ id: 'zz-pier-3', title: 'Pier', body: body(3), format: 'text' });
      expect(postings()).toBeInstanceOf(FlatPostings);
      await expectSameAsFullRebuild(on);
    } finally {
      await writer.close();
    }
  });
});

describe('a merge left due by a previous run', () => {
  it('is scheduled when the next run prepares its writer', async () => {
    const { ws: ws2, live: served } = await servedWorkspace();
    const first = new Corpus({ ...ws2, maxDocBytes: 1 << 20, live: served, mergeAfterMs: 3_600_000 });
    for (let i = 0; i < 8; i++) {
      await first.add({ id: `pier-${i}`, title: 'Pier', body: `Pier ${i} at Port Tarrow reopened.`, format: 'text' });
      await first.remove(`pier-${i}`);
    }
    await first.close();
    expect((await readManifest(ws2.indexDir))?.changes?.count).toBe(16);
    const next = new Corpus({ ...ws2, maxDocBytes: 1 << 20, live: served, mergeAfterMs: 0 });
    try {
      await next.prepare();
      await next.merged();
      expect((await readManifest(ws2.indexDir))?.changes).toBeUndefined();
    } finally {
      await next.close();
    }
  });
});

describe('an index reached through a symlinked folder', () => {
  it('keeps adds and deletes incremental (a delete after an add once re-indexed the whole corpus)', async () => {
    const real = await seedsWorkspace(inject('seedsIndexDir'));
    const link = `${real.root}-link`;
    await symlink(real.root, link);
    const viaLink = { corpusDir: path.join(link, 'seeds'), indexDir: path.join(link, 'index') };
    const served = new LiveEngine({ ...viaLink, modelsDir: MODELS_DIR, modelId: DEFAULT_MODEL_ID, logger: silentLogger });
    await served.reload();
    const writer = new Corpus({ ...viaLink, maxDocBytes: 1 << 20, live: served });
    try {
      const reread = vi.spyOn(served, 'reloadNow');
      await writer.add({ id: 'zz-pier', title: 'Pier', body: 'Pier 9 at Port Tarrow reopened in May.', format: 'text' });
      await writer.remove('zz-pier');
      await writer.remove('000_d2ab432fcddea531');
      expect(reread).not.toHaveBeenCalled();
      expect((await readManifest(viaLink.indexDir))?.changes?.count).toBe(3);
      expect(served.state().engine?.documents.has('000_d2ab432fcddea531')).toBe(false);
    } finally {
      await writer.close();
    }
  });
});

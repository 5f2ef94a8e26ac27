import { readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { buildBm25, searchBm25 } from './bm25.ts';
import { loadEngine, Retriever } from '../../server/qa/index.ts';
import {
  buildLexical,
  decodeLexical,
  decodeLexicalYielding,
  encodeLexical,
  lexicalBytes,
  lexicalTexts,
  persistedInitialisms,
  persistedLexical,
  tokenizerVersion,
} from './lexical-index.ts';
import { initialismsOf } from './initialisms.ts';
import { seedsWorkspace } from '../../test/helpers.ts';
import { FILES, IndexError, loadIndex } from '../generations.ts';
import { PassageSchema, plainPassage } from '../format.ts';

function sameIndex(a: ReturnType<typeof buildBm25>, b: ReturnType<typeof buildBm25>): void {
  expect(b.count).toBe(a.count);
  expect(b.avgLength).toBe(a.avgLength);
  expect([...b.lengths]).toEqual([...a.lengths]);
  expect([...b.norms]).toEqual([...a.norms]);
  // Same terms in the same order (the Vocabulary's buckets follow it), same postings.
  expect([...b.postings.keys()]).toEqual([...a.postings.keys()]);
  for (const [t, list] of a.postings.entries()) expect([...(b.postings.get(t) as Uint32Array)]).toEqual([...list]);
}

describe('what a passage is indexed as', () => {
  it('holds the Markdown headings it sits under, so "which property…" finds an item of the Properties section', async () => {
    const { toPassages } = await import('../../ingest/passages.ts');
    const text =
      '# minipass\n\nA stream.\n\n## Methods\n\n- `write(chunk)` Write data to the buffer.\n\n' +
      '## Properties\n\n- `bufferLength` Read-only. Total number of bytes buffered.\n';
    const doc = { docId: 'm', source: 'minipass.md', title: 'minipass', text, hash: '' };
    const passages = toPassages(doc);
    const texts = [...lexicalTexts(passages, [doc])];
    const index = buildBm25(texts);
    const [best] = searchBm25(index, new Map([['properti', 1], ['buffer', 1]]), 1);
    expect(passages[best?.[0] as number]?.text).toContain('bufferLength');
    // The headings above it, outermost first; not a section it does not belong to.
    const item = passages.findIndex((p) => p.text.includes('bufferLength'));
    expect(texts[item]).toContain('minipass Properties');
    expect(texts[item]).not.toContain('Methods');
  });
});

describe('the persisted lexical index', () => {
  it('is the index the Retriever builds, term order included, and survives encoding', async () => {
    const index = await loadIndex(inject('seedsIndexDir'));
    const texts = [...lexicalTexts(index.passages, index.documents)];
    const reference = buildBm25(texts);
    sameIndex(reference, buildLexical(texts));
    const bytes = Buffer.concat(encodeLexical(reference, initialismsOf(index.documents)));
    sameIndex(reference, decodeLexical(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    // As the ingest worker sends it to the serving thread: a buffer of its own (to transfer), read in slices.
    const sent = lexicalBytes(reference);
    expect(sent.byteLength).toBe(sent.buffer.byteLength);
    sameIndex(reference, await decodeLexicalYielding(sent));
    // Given the terms of the index it was spliced from: some since gone, the last two new.
    const before = [...reference.postings.keys()].slice(0, -2).flatMap((t, i) => (i % 5 ? [t] : [`gone${i}`, t]));
    sameIndex(reference, await decodeLexicalYielding(sent, before));
    // Loaded straight from the generation, registered for the Retriever.
    expect(index.manifest.lexical).toEqual({ file: FILES.lexical, tokenizer: tokenizerVersion() });
    expect(index.manifest.files?.[FILES.lexical]?.bytes).toBe(bytes.byteLength);
    sameIndex(reference, index.lexical as ReturnType<typeof buildBm25>);
    expect(persistedLexical(index.passages)).toBe(index.lexical);
    expect(persistedInitialisms(index.passages)).toEqual(initialismsOf(index.documents));
    expect(persistedInitialisms(index.passages)?.size).toBeGreaterThan(0);
    const query = new Map([
      ['lukashenko', 1],
      ['belarus', 0.5],
    ]);
    expect(searchBm25(index.lexical as ReturnType<typeof buildBm25>, query, 10)).toEqual(
      searchBm25(reference, query, 10),
    );
  });

  it('round-trips the vocabulary of a million-passage corpus (300k terms), with or without the terms it had', async () => {
    const texts = Array.from({ length: 3000 }, (_, i) => Array.from({ length: 100 }, (_, j) => `t${i}x${j}`).join(' '));
    const index = buildLexical(texts);
    expect(index.postings.size).toBe(300_000);
    const bytes = new Uint8Array(Buffer.concat(encodeLexical(index)));
    expect(decodeLexical(bytes).postings.size).toBe(300_000);
    const again = await decodeLexicalYielding(bytes, [...index.postings.keys()].slice(0, 1000));
    expect([...(again.postings.get('t2999x99') as Uint32Array)]).toEqual([2999, 1]);
  });

  it('empty input gives an empty index that round-trips', () => {
    const empty = buildLexical([]);
    expect(empty.count).toBe(0);
    const bytes = Buffer.concat(encodeLexical(empty));
    expect(decodeLexical(new Uint8Array(bytes)).postings.size).toBe(0);
  });

  it('is used by the engine when present, built at load when the tokenizer differs (and then changed in place)', async () => {
    const engine = await loadEngine({ indexDir: inject('seedsIndexDir') });
    expect(engine.retriever.bm25).toBe(engine.index.lexical);

    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const manifestFile = path.join(await realpath(ws.indexDir), FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    await writeFile(manifestFile, JSON.stringify({ ...manifest, lexical: { ...manifest.lexical, tokenizer: '0:old' } }));
    const older = await loadIndex(ws.indexDir);
    // Built once at load and registered like a persisted one: writes layer it (applyDelta needs both), an
    // index from an older version is not rebuilt on the serving thread at every add or delete.
    expect(older.lexical).toBeDefined();
    expect(persistedLexical(older.passages)).toBe(older.lexical);
    expect(persistedInitialisms(older.passages)).toEqual(initialismsOf(older.documents));
    sameIndex(engine.retriever.bm25, older.lexical as ReturnType<typeof buildBm25>);
    const retriever = new Retriever(
      older.passages,
      older.vectors,
      older.hnsw,
      engine.embedder,
      new Map(older.documents.map((d) => [d.docId, d])),
    );
    sameIndex(engine.retriever.bm25, retriever.bm25);

    // An index from before lexical.bin: no `lexical` in the manifest, still served.
    const { lexical: _, ...before } = manifest;
    await writeFile(manifestFile, JSON.stringify(before));
    sameIndex(engine.retriever.bm25, (await loadIndex(ws.indexDir)).lexical as ReturnType<typeof buildBm25>);
  });

  it('a corrupt lexical.bin is refused with a hint to re-ingest', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const file = path.join(await realpath(ws.indexDir), FILES.lexical);
    const bytes = await readFile(file);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    await writeFile(file, bytes);
    const err = await loadIndex(ws.indexDir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IndexError);
    expect((err as IndexError).message).toMatch(/lexical\.bin .* corrupt/);
  });

  it('passages read on the fast path are what zod would give, and an odd row is still refused', async () => {
    const dir = await realpath(inject('seedsIndexDir'));
    const lines = (await readFile(path.join(dir, FILES.passages), 'utf8')).split('\n').filter(Boolean);
    const index = await loadIndex(inject('seedsIndexDir'));
    expect(index.passages.map(plainPassage)).toEqual(lines.map((l) => PassageSchema.parse(JSON.parse(l))));

    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const gen = await realpath(ws.indexDir);
    const odd = lines.map((l, i) => (i === 3 ? l.replace(/"start":\d+/, '"start":-1') : l)).join('\n');
    await writeFile(path.join(gen, FILES.passages), `${odd}\n`);
    // Same size, new checksum: the manifest vouches for the edited file, so only the row check can refuse it.
    const manifestFile = path.join(gen, FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    const bytes = await readFile(path.join(gen, FILES.passages));
    const { createHash } = await import('node:crypto');
    manifest.files[FILES.passages] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    // Without its passage table the index is read from passages.jsonl, the path under test here.
    delete manifest.files[FILES.passageTable];
    await writeFile(manifestFile, JSON.stringify(manifest));
    await expect(loadIndex(ws.indexDir)).rejects.toThrow(/passages\.jsonl line 4 is corrupt/);
  });
});

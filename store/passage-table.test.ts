import { createHash } from 'node:crypto';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { seedsWorkspace } from '../test/helpers.ts';
import { FILES, IndexError, loadIndex } from './generations.ts';
import { decodePassageTable, encodePassageTable } from './passage-table.ts';
import { DocumentRecordSchema, PassageSchema, plainDocument, plainPassage } from './format.ts';

describe('the passage table (passages.bin)', () => {
  it('is written at ingest and loads the same passages as passages.jsonl, in order', async () => {
    const dir = await realpath(inject('seedsIndexDir'));
    const manifest = JSON.parse(await readFile(path.join(dir, FILES.manifest), 'utf8'));
    expect(manifest.files[FILES.passageTable]).toBeDefined();
    const lines = (await readFile(path.join(dir, FILES.passages), 'utf8')).split('\n').filter(Boolean);
    const index = await loadIndex(dir);
    expect(index.passages.map(plainPassage)).toEqual(lines.map((l) => PassageSchema.parse(JSON.parse(l))));
    // Same key order too: a passage serialises exactly as its passages.jsonl line.
    expect(index.passages.map((p) => JSON.stringify(p))).toEqual(lines);
    // Documents, read on their own fast path, are what zod would give.
    const docLines = (await readFile(path.join(dir, FILES.documents), 'utf8')).split('\n').filter(Boolean);
    expect(index.documents.map(plainDocument)).toEqual(docLines.map((l) => DocumentRecordSchema.parse(JSON.parse(l))));
    expect(index.documents.map((d) => JSON.stringify(d))).toEqual(docLines);
  });

  it('round-trips, and refuses passages it cannot store as offsets', async () => {
    const { passages, documents } = await loadIndex(inject('seedsIndexDir'));
    const bytes = Buffer.concat(encodePassageTable(passages, documents) ?? []);
    expect(decodePassageTable(bytes, documents).map(plainPassage)).toEqual(passages.map(plainPassage));
    const edited = passages.map((p, i) => (i === 2 ? { ...plainPassage(p), text: `${p.text}!` } : p));
    expect(encodePassageTable(edited, documents)).toBeNull();
    const renamed = passages.map((p, i) => (i === 2 ? { ...plainPassage(p), id: 'other' } : p));
    expect(encodePassageTable(renamed, documents)).toBeNull();
    expect(() => decodePassageTable(bytes.subarray(0, bytes.byteLength - 8), documents)).toThrow(/size/);
  });

  it('with a bad row and a matching checksum, is refused with a hint to re-ingest', async () => {
    const ws = await seedsWorkspace(inject('seedsIndexDir'));
    const gen = await realpath(ws.indexDir);
    const file = path.join(gen, FILES.passageTable);
    const bytes = await readFile(file);
    // The first row's end offset, far past its document's text.
    bytes.writeUInt32LE(0xffffffff, 32 + 12);
    await writeFile(file, bytes);
    const manifestFile = path.join(gen, FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    manifest.files[FILES.passageTable] = {
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    await writeFile(manifestFile, JSON.stringify(manifest));
    const err = await loadIndex(ws.indexDir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IndexError);
    expect((err as IndexError).message).toMatch(/passages\.bin .* corrupt/);
  });
});

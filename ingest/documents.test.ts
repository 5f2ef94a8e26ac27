import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectTitle, docIdFor, loadCorpus } from './documents.ts';
import { toPassages } from './passages.ts';

async function corpus(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'footnote-docs-')), 'corpus');
  await mkdir(dir);
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, name), body);
  return dir;
}

const GOOD =
  'A good article\n\nThe minister said the bridge will open in May. Traffic is expected to double.';

describe('loadCorpus', () => {
  it('skips bad files with a reason and keeps the rest', async () => {
    const dir = await corpus({
      'good.txt': GOOD,
      'empty.txt': '',
      'blank.md': '   \n\n  \n',
      'binary.txt': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]),
      'latin1.txt': new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6c, 0xe9]),
      'notes.pdf': 'not really a pdf',
      'notes.odt': 'an OpenDocument file',
    });
    await symlink(path.join(dir, 'missing-target.txt'), path.join(dir, 'dangling.txt'));
    const { documents, skipped } = await loadCorpus(dir, { maxBytes: 1024 * 1024 });
    expect(documents.map((d) => d.docId)).toEqual(['good']);
    const reasons = Object.fromEntries(skipped.map((s) => [path.basename(s.file), s.reason]));
    expect(reasons['empty.txt']).toMatch(/empty/);
    expect(reasons['blank.md']).toMatch(/empty/);
    expect(reasons['binary.txt']).toMatch(/binary/);
    expect(reasons['latin1.txt']).toMatch(/UTF-8/);
    expect(reasons['notes.pdf']).toMatch(/not a readable PDF/);
    expect(reasons['notes.odt']).toMatch(/unsupported/);
    expect(reasons['dangling.txt']).toMatch(/unreadable/);
  });

  it('skips a file over the size limit with a clear warning', async () => {
    const dir = await corpus({ 'good.txt': GOOD, 'huge.txt': 'word '.repeat(10 * 1024 * 1024) });
    const { documents, skipped } = await loadCorpus(dir, { maxBytes: 5 * 1024 * 1024 });
    expect(documents).toHaveLength(1);
    expect(skipped[0]?.reason).toMatch(/larger than 5\.0 MB \(50\.0 MB\).*MAX_DOC_BYTES/);
  });

  it('extracts text from HTML, dropping scripts and keeping the title', async () => {
    const html =
      '<html><head><title>Bridge &amp; roads</title><script>alert(1)</script></head><body><nav>Home | News</nav><h1>Bridge opens</h1><p>The minister said the bridge will open in <b>May</b>.</p></body></html>';
    const dir = await corpus({ 'page.html': html });
    const { documents } = await loadCorpus(dir, { maxBytes: 1024 * 1024 });
    const doc = documents[0];
    expect(doc?.title).toBe('Bridge & roads');
    expect(doc?.text).toContain('The minister said the bridge will open in May.');
    expect(doc?.text).not.toContain('alert');
    for (const p of toPassages(doc as NonNullable<typeof doc>))
      expect(p.text).toBe(doc?.text.slice(p.start, p.end));
  });

  it('keeps hostile content as plain text with exact offsets', async () => {
    const text =
      'Headline\n\n<script>alert("x")</script> The council voted\u0000 no.\u202E Zero\u200Bwidth and 😀 emoji stay.';
    const dir = await corpus({ 'hostile.md': text.replace('\u0000', '') });
    const { documents } = await loadCorpus(dir, { maxBytes: 1024 * 1024 });
    const doc = documents[0];
    expect(doc).toBeDefined();
    for (const p of toPassages(doc as NonNullable<typeof doc>))
      expect(p.text).toBe(doc?.text.slice(p.start, p.end));
  });

  it('gives distinct ids to same-named files of different types', async () => {
    const dir = await corpus({ 'a.txt': GOOD, 'a.md': `${GOOD} Also in markdown.` });
    const { documents } = await loadCorpus(dir, { maxBytes: 1024 * 1024 });
    expect(documents.map((d) => d.docId).sort()).toEqual(['a', 'a-txt']);
  });
});

describe('titles and ids', () => {
  it('uses the headline when the article starts with one', () => {
    expect(detectTitle('Support Us\n\nPutin tells Lukashenko about "positive changes"\n\nBody.', 'x')).toBe(
      'Putin tells Lukashenko about "positive changes"',
    );
  });
  it('falls back to the opening words of a long first paragraph', () => {
    const title = detectTitle(`${'Long opening sentence that goes on '.repeat(10)}.`, 'x');
    expect(title.length).toBeLessThanOrEqual(121);
    expect(title.endsWith('…')).toBe(true);
  });
  it('makes URL-safe ids', () => {
    expect(docIdFor('seeds/004_ec9c24d3208588b7.txt')).toBe('004_ec9c24d3208588b7');
    expect(docIdFor('Ünïcode name (1).md')).toBe('Unicode-name-1');
  });
});

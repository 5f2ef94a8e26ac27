import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldTypography, words } from '../store/lexical/words.ts';
import {
  corruptPdf,
  docxFile,
  imageOnlyPdf,
  ligaturePdf,
  linesPdf,
  pagesPdf,
  twoColumnPdf,
} from '../test/pdf-fixtures.ts';
import { extractBinary, loadCorpus } from './documents.ts';
import { pageAt, pageRange } from '../store/pages.ts';
import { toPassages } from './passages.ts';
import { HYPHEN_BREAK, PAGE_SEPARATOR } from './pdf.ts';
import type { DocumentRecord } from '../store/format.ts';

const PAGES = [
  ['Harbour report', 'The harbour of Vellmar reopened in May after the storm. Fishing boats returned the same week.'],
  ['The mayor of Vellmar resigned on Tuesday after the council vote on the new breakwater.'],
  [
    'Repairs to the lighthouse will cost 2.4 million euros, the engineers estimate.',
    'Work starts in the autumn and should end before the winter storms.',
  ],
];

async function extract(bytes: Buffer, ext = '.pdf', maxPages = 100) {
  const r = await extractBinary(bytes, ext, { maxPages });
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('PDF text extraction', () => {
  it('reads every page in order, separated by a form feed, with the start offset of each page', async () => {
    const r = await extract(await pagesPdf(PAGES, { title: 'Vellmar harbour' }));
    expect(r.title).toBe('Vellmar harbour');
    expect(r.pages).toHaveLength(3);
    const texts = r.text.split(PAGE_SEPARATOR);
    expect(texts).toHaveLength(3);
    r.pages?.forEach((start, i) => {
      expect(r.text.slice(start).startsWith(texts[i] as string)).toBe(true);
    });
    // Paragraphs are separated by a blank line, a paragraph's lines by spaces.
    expect(texts[0]).toBe(`${PAGES[0]?.[0]}\n\n${PAGES[0]?.[1]}`);
    expect(texts[2]).toBe(PAGES[2]?.join('\n\n'));
    // Each sentence is found on the page it is printed on.
    PAGES.forEach((paragraphs, i) => {
      for (const p of paragraphs) {
        expect(pageAt({ pages: r.pages }, r.text.indexOf(p))).toBe(i + 1);
        expect(pageAt({ pages: r.pages }, r.text.indexOf(p) + p.length - 1)).toBe(i + 1);
      }
    });
  });

  it('reads a two-column page column by column, even when it was drawn across the columns', async () => {
    const left = ['The left column starts', 'the story of the bridge', 'and ends it here.'];
    const right = ['The right column tells', 'what the engineers', 'decided next.'];
    const r = await extract(await twoColumnPdf('Two columns, one story', left, right));
    expect(r.text).toBe(`Two columns, one story\n\n${left.join(' ')}\n\n${right.join(' ')}`);
  });

  it('keeps a hyphen at a line end in the text and joins the word for matching', async () => {
    const r = await extract(
      await linesPdf(['The committee reached an inter-', 'national agreement with the Anglo-', 'French fleet.']),
    );
    expect(r.text).toBe(
      `The committee reached an inter-${HYPHEN_BREAK}national agreement with the Anglo-${HYPHEN_BREAK}French fleet.`,
    );
    expect(words(r.text)).toContain('international');
    // A compound (capital after the hyphen) stays two words.
    expect(words(r.text)).toEqual(expect.arrayContaining(['anglo', 'french']));
  });

  it('matches words printed with ligature glyphs (ﬁ, ﬂ)', async () => {
    const r = await extract(ligaturePdf(['The \uFB01nal \uFB02oor of the of\uFB01ce was \uFB01nished.']));
    expect(words(r.text)).toEqual(['the', 'final', 'floor', 'of', 'the', 'office', 'was', 'finished']);
    expect(foldTypography('\uFB01nal \uFB02oor')).toBe('final floor');
  });

  it('reads a Word file paragraph by paragraph (no pages)', async () => {
    const r = await extract(await docxFile('Budget briefing', ['The budget grows by 3%.', 'Schools get more.']), '.docx');
    expect(r.text.trimEnd()).toBe('Budget briefing\n\nThe budget grows by 3%.\n\nSchools get more.');
    expect(r.pages).toBeUndefined();
  });
});

describe('PDFs that cannot be indexed', () => {
  let dir: string;
  let skippedReasons: Record<string, string>;
  let documents: DocumentRecord[];
  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(tmpdir(), 'footnote-pdf-')), 'corpus');
    await mkdir(dir);
    const good = await pagesPdf(PAGES);
    await writeFile(path.join(dir, 'a-good.pdf'), good);
    await writeFile(path.join(dir, 'b-encrypted.pdf'), await pagesPdf(PAGES, { userPassword: 'secret' }));
    await writeFile(path.join(dir, 'c-corrupt.pdf'), corruptPdf(good));
    await writeFile(path.join(dir, 'd-scan.pdf'), await imageOnlyPdf());
    await writeFile(path.join(dir, 'e-long.pdf'), await pagesPdf(Array.from({ length: 6 }, (_, i) => [`Page ${i + 1}.`])));
    await writeFile(path.join(dir, 'f-broken.docx'), Buffer.from('PK\u0003\u0004 not a zip'));
    await writeFile(path.join(dir, 'g-word.docx'), await docxFile('Word heading', ['A Word paragraph.']));
    await writeFile(path.join(dir, 'h-note.txt'), 'A plain text note about the harbour.\n');
    const r = await loadCorpus(dir, { maxBytes: 1024 * 1024, maxPages: 5 });
    skippedReasons = Object.fromEntries(r.skipped.map((s) => [path.basename(s.file), s.reason]));
    documents = r.documents;
  });

  it('skips each with its reason and reads the rest of the corpus', () => {
    expect(skippedReasons['b-encrypted.pdf']).toMatch(/encrypted PDF/);
    expect(skippedReasons['c-corrupt.pdf']).toMatch(/not a readable PDF/);
    expect(skippedReasons['d-scan.pdf']).toMatch(/^no text layer: OCR is not supported/);
    expect(skippedReasons['e-long.pdf']).toMatch(/6 pages, over the 5-page limit.*MAX_PDF_PAGES/);
    expect(skippedReasons['f-broken.docx']).toMatch(/not a readable Word/);
    expect(documents.map((d) => d.docId)).toEqual(['a-good', 'g-word', 'h-note']);
    expect(documents[0]?.pages).toHaveLength(3);
    expect(documents[2]?.pages).toBeUndefined();
  });

  it('splits a PDF into passages that are slices of its text, each on a known page', () => {
    const doc = documents[0] as DocumentRecord;
    const passages = toPassages(doc);
    expect(passages.length).toBeGreaterThan(0);
    for (const p of passages) {
      expect(doc.text.slice(p.start, p.end)).toBe(p.text);
      const { page, pageEnd } = pageRange(doc, p.start, p.end);
      expect(page).toBeGreaterThanOrEqual(1);
      if (pageEnd !== undefined) expect(pageEnd).toBeGreaterThan(page as number);
    }
    const mayor = passages.find((p) => p.text.includes('mayor of Vellmar resigned')) as (typeof passages)[0];
    const s = doc.text.indexOf('The mayor of Vellmar');
    expect(pageAt(doc, s)).toBe(2);
    expect(pageRange(doc, s, mayor.end).page).toBe(2);
  });
});

describe('pageAt', () => {
  it('maps offsets to 1-based pages, and nothing for documents without pages', () => {
    const doc = { pages: [0, 10, 25] };
    expect([0, 9, 10, 24, 25, 1000].map((o) => pageAt(doc, o))).toEqual([1, 1, 2, 2, 3, 3]);
    expect(pageRange(doc, 5, 12)).toEqual({ page: 1, pageEnd: 2 });
    expect(pageRange(doc, 10, 25)).toEqual({ page: 2 });
    expect(pageAt({}, 3)).toBeUndefined();
    expect(pageRange({}, 3, 4)).toEqual({});
  });
});

describe('a sentence printed across a page break', () => {
  it('stays one sentence, and a quote of it starts on one page and ends on the next', async () => {
    const long =
      'The survey of the northern coast found that the old sea wall had moved by eleven centimetres since the last inspection and needed repair';
    // Enough opening text that the sentence starts near the foot of page 1 and ends on page 2.
    let r: Awaited<ReturnType<typeof extract>> | null = null;
    for (let n = 100; n < 160; n += 3) {
      const filler = Array.from({ length: n }, (_, i) => `Line ${i + 1} of the opening section.`);
      const candidate = await extract(await pagesPdf([[filler.join(' '), `${long}.`]]));
      const at = candidate.text.indexOf('The survey of');
      if (candidate.pages?.length === 2 && at < (candidate.pages[1] as number) && at > 0) {
        r = candidate;
        if (candidate.text.indexOf('needed repair') > (candidate.pages[1] as number)) break;
      }
    }
    if (!r) throw new Error('no layout put the sentence across the page break');
    const doc = { pages: r.pages };
    const flat = r.text.replace(/\s+/g, ' ');
    expect(flat).toContain(`${long}.`);
    const start = r.text.indexOf('The survey of the northern coast');
    const end = r.text.indexOf('needed repair.') + 'needed repair.'.length;
    const range = pageRange(doc, start, end);
    expect(range.pageEnd).toBe((range.page as number) + 1);
    // One sentence: no line break inside it.
    expect(r.text.slice(start, end)).not.toMatch(/\n/);
  });
});

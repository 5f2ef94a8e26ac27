import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbedder, type Embedder } from '../../../ingest/embedder.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../../../ingest/model/paths.ts';
import { ingest } from '../../../ingest/pipeline.ts';
import { ligaturePdf, linesPdf, pagesPdf, textPdf, twoColumnPdf } from '../../../test/pdf-fixtures.ts';
import { type Engine, loadEngine } from '../../qa/index.ts';

/** The seed articles as PDFs (small pages, so most take two or three) answer as the text versions do. */

/** As read: whitespace is layout, and so is the invisible mark of a line broken after a hyphen. */
const oneLine = (s: string) => s.replace(/\u200B/g, '').replace(/\s+/g, ' ').trim();

let work: string;
let embedder: Embedder;
let textEngine: Engine;
let pdfEngine: Engine;
/** Where each paragraph of each seed article is printed: docId → paragraph → page. */
const printedOn = new Map<string, Map<string, number>>();

async function buildIndex(name: string, files: Record<string, Uint8Array>): Promise<Engine> {
  // The folder is named like the one it stands for: file names are document context for answering.
  const corpusDir = path.join(work, name, name === 'seeds-pdf' ? 'seeds' : 'corpus');
  await mkdir(corpusDir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) await writeFile(path.join(corpusDir, file), bytes);
  const indexDir = path.join(work, `${name}-index`);
  const summary = await ingest({ corpusDir, indexDir, embedder, maxBytes: 5 * 1024 * 1024 });
  expect(summary.skipped).toEqual([]);
  return loadEngine({ indexDir, embedder });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'footnote-pdf-citations-'));
  embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  textEngine = await loadEngine({ indexDir: inject('seedsIndexDir'), embedder });
  const files: Record<string, Uint8Array> = {};
  for (const name of (await readdir('seeds')).filter((n) => n.endsWith('.txt')).sort()) {
    const { pdf, pageOf } = await textPdf(await readFile(path.join('seeds', name), 'utf8'));
    files[name.replace(/\.txt$/, '.pdf')] = pdf;
    printedOn.set(name.replace(/\.txt$/, ''), pageOf);
  }
  pdfEngine = await buildIndex('seeds-pdf', files);
});

describe('the seed articles as PDFs', () => {
  it('are paginated documents of several pages', () => {
    expect(pdfEngine.documents.size).toBe(textEngine.documents.size);
    for (const doc of pdfEngine.documents.values()) {
      expect(doc.source).toMatch(/\.pdf$/);
      expect(doc.title).toBe(textEngine.documents.get(doc.docId)?.title);
    }
    expect(Math.max(...[...pdfEngine.documents.values()].map((d) => d.pages?.length ?? 0))).toBeGreaterThan(1);
  });

  it('give the seeds question set the same answers as the text versions, with the page of every quote', async () => {
    const questions = (await readFile('evals/dev.jsonl', 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { question: string }).question);
    expect(questions.length).toBeGreaterThan(50);
    let paged = 0;
    for (const question of questions) {
      const fromText = await textEngine.ask({ question });
      const fromPdf = await pdfEngine.ask({ question });
      expect({ question, abstained: fromPdf.abstained, answer: oneLine(fromPdf.answer) }).toEqual({
        question,
        abstained: fromText.abstained,
        answer: oneLine(fromText.answer),
      });
      expect(fromPdf.citations.map((c) => [c.docId, oneLine(c.quote)])).toEqual(
        fromText.citations.map((c) => [c.docId, oneLine(c.quote)]),
      );
      for (const c of fromPdf.citations) {
        const doc = pdfEngine.documents.get(c.docId);
        expect(doc?.text.slice(c.start, c.end)).toBe(c.text);
        // The page the quote is printed on, as laid out when the PDF was made: a quote of two one-sentence
        // paragraphs starts on its first one's page and ends on its last one's.
        const pages = c.quote.split(/\n\s*\n/).map((part) => {
          const paragraph = [...(printedOn.get(c.docId)?.entries() ?? [])].find(([p]) => oneLine(p).includes(oneLine(part)));
          expect(paragraph, `${question}: quote part not in one paragraph`).toBeDefined();
          return paragraph?.[1];
        });
        const [first, last] = [pages[0], pages[pages.length - 1]];
        expect({ question, page: c.page, pageEnd: c.pageEnd }).toEqual({ question, page: first, pageEnd: last === first ? undefined : last });
        if ((c.page ?? 0) > 1) paged++;
      }
    }
    // Not all on page 1.
    expect(paged).toBeGreaterThan(5);
  });
});

describe('citations from a multi-page PDF', () => {
  it('carry the page the quote is printed on', async () => {
    const pdf = await pagesPdf(
      [
        ['Vellmar harbour report', 'The harbour of Vellmar reopened in May after the winter storm.'],
        ['The mayor of Vellmar, Ilse Brandt, resigned on Tuesday after the council vote on the breakwater.'],
        ['Repairs to the Vellmar lighthouse will cost 2.4 million euros, the engineers estimate.'],
      ],
      { title: 'Vellmar harbour report' },
    );
    const engine = await buildIndex('vellmar', {
      'vellmar.pdf': pdf,
      // A two-column page drawn line by line across the columns, a hyphenated line end, ligature glyphs.
      'columns.pdf': await twoColumnPdf(
        'Quarry news',
        ['The Halden quarry closed', 'its western pit in March', 'after a rock slide.'],
        ['The eastern pit of Halden', 'stays open and employs', '94 quarry workers.'],
      ),
      'hyphen.pdf': await linesPdf([
        'The Corvast accord was signed by twelve inter-',
        'national shipping firms in the port of Lisk.',
      ]),
      'ligature.pdf': ligaturePdf(['The Brannock \uFB01re brigade \uFB01nished its \uFB02ood drill on Sunday.']),
      'note.txt': Buffer.from('A note on the weather in Ostrand: it rained all week.\n'),
    });
    const cases: [string, RegExp, number, string][] = [
      ['Who resigned as mayor of Vellmar?', /Ilse Brandt, resigned/, 2, 'vellmar'],
      ['How much will the repairs to the Vellmar lighthouse cost?', /2\.4 million euros/, 3, 'vellmar'],
      ['When did the harbour of Vellmar reopen?', /reopened in May/, 1, 'vellmar'],
      ['How many workers does the eastern pit of Halden employ?', /^The eastern pit of Halden stays open and employs 94 quarry workers\.$/, 1, 'columns'],
      ['How many international shipping firms signed the Corvast accord?', /twelve inter-\u200Bnational shipping firms/, 1, 'hyphen'],
      ['When did the Brannock fire brigade finish its flood drill?', /finished its flood drill on Sunday/, 1, 'ligature'],
    ];
    for (const [question, quote, page, docId] of cases) {
      const r = await engine.ask({ question });
      expect(r.abstained, question).toBe(false);
      const c = r.citations[0];
      expect(c?.docId, question).toBe(docId);
      expect(c?.quote).toMatch(quote);
      expect(c?.page).toBe(page);
      expect(engine.documents.get(c?.docId ?? '')?.text.slice(c?.start, c?.end)).toBe(c?.text);
    }
    const weather = await engine.ask({ question: 'What was the weather in Ostrand?' });
    expect(weather.citations[0]?.docId).toBe('note');
    expect(weather.citations[0]?.page).toBeUndefined();
  });
});

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractBinary, makeDocument } from '../ingest/documents.ts';
import { toPassages } from '../ingest/passages.ts';
import { pagesPdf } from '../test/pdf-fixtures.ts';

export interface PdfIngestResult {
  pages: number;
  /** Size of the generated PDF. */
  megabytes: number;
  /** PDF.js text extraction (reading order, pages), median of the runs. */
  extractMs: number;
  pagesPerSec: number;
  /** Extraction plus the split into passages (no embedding: the passages/s of the ingest table covers it). */
  extractSplitMs: number;
  passages: number;
  /** The first (one-page) PDF of the process: PDF.js loading. */
  loadMs: number;
}

/**
 * PDF ingest speed: a PDF of `pages` pages of seed-article paragraphs (made with pdfkit), read as ingestion
 * reads it. Reported as pages/s.
 */
export async function benchPdfIngest(pages: number, runs: number): Promise<PdfIngestResult> {
  const seeds = (await readdir('seeds')).filter((n) => n.endsWith('.txt')).sort();
  const paragraphs = (
    await Promise.all(seeds.map(async (n) => (await readFile(path.join('seeds', n), 'utf8')).split('\n')))
  )
    .flat()
    .map((p) => p.trim())
    .filter((p) => p.length > 40);
  const pdf = await pagesPdf(
    Array.from({ length: pages }, (_, i) => [0, 1, 2].map((k) => paragraphs[(i * 3 + k) % paragraphs.length] as string)),
  );
  // The first PDF of a process also loads PDF.js (seconds on a busy machine): measured on its own.
  const w0 = performance.now();
  await extractBinary(await pagesPdf([['Warm-up page.']]), '.pdf', { maxPages: 1 });
  const loadMs = performance.now() - w0;
  const extract: number[] = [];
  const split: number[] = [];
  let passages = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const out = await extractBinary(pdf, '.pdf', { maxPages: pages + 1 });
    const t1 = performance.now();
    if ('error' in out) throw new Error(`bench PDF not readable: ${out.error}`);
    passages = toPassages(makeDocument({ docId: 'bench', source: 'bench.pdf', text: out.text, pages: out.pages })).length;
    extract.push(t1 - t0);
    split.push(performance.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const extractMs = median(extract);
  return {
    pages,
    megabytes: pdf.length / 2 ** 20,
    extractMs,
    pagesPerSec: pages / (extractMs / 1000),
    extractSplitMs: median(split),
    passages,
    loadMs,
  };
}

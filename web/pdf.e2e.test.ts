import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../ingest/embedder.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingest } from '../ingest/pipeline.ts';
import { ask, launchChromium, openPage, SHOTS } from '../test/browser.ts';
import { type RunningServer, startServer } from '../test/helpers.ts';
import { pagesPdf } from '../test/pdf-fixtures.ts';

/** A PDF citation opened on its page: PDF.js (served by Footnote) renders it, the quote marked on the text layer. */

const TOKEN = 'pdf-e2e-token-0123456789';
const QUOTE = 'The Ostrand council set the new water tariff at 2.15 euros per cubic metre from January.';

let browser: Browser;
let server: RunningServer;

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'footnote-pdf-e2e-'));
  const corpusDir = path.join(root, 'docs');
  await mkdir(corpusDir);
  await writeFile(
    path.join(corpusDir, 'ostrand-water.pdf'),
    await pagesPdf(
      [
        ['Ostrand water report', 'The Ostrand reservoir was at 41 percent of capacity at the end of June.'],
        ['Engineers in Ostrand will replace 12 kilometres of leaking water mains before the winter.'],
        ['Prices', QUOTE, 'Households on low incomes keep the old tariff for a year.'],
      ],
      { title: 'Ostrand water report' },
    ),
  );
  await writeFile(path.join(corpusDir, 'note.txt'), 'A note on the weather in Ostrand: it rained all week.\n');
  const indexDir = path.join(root, 'index');
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  await ingest({ corpusDir, indexDir, embedder, maxBytes: 5 * 1024 * 1024 });
  server = await startServer({ INDEX_DIR: indexDir, CORPUS_DIR: corpusDir, FOOTNOTE_API_TOKEN: TOKEN }, 60_000);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a PDF source in the chat UI', () => {
  it('opens the citation on its page, rendered by PDF.js from Footnote, with the quote highlighted', async () => {
    const vendor: string[] = [];
    const { page, errors, close } = await openPage(browser, server.url, {
      before: async (p) => {
        await p.addInitScript((token) => sessionStorage.setItem('footnote.apiToken', token), TOKEN);
        p.on('request', (r) => {
          if (!r.url().startsWith(server.url)) vendor.push(`external: ${r.url()}`);
          else if (r.url().includes('/vendor/pdfjs/')) vendor.push(new URL(r.url()).pathname);
        });
      },
    });
    try {
      const answer = await ask(page, 'What is the new water tariff in Ostrand?');
      // The answer itself first: when it is missing, the failure shows what the chat said instead.
      expect(await answer.textContent()).toContain('2.15 euros');
      // The footnote under the answer says the page.
      expect(await page.getByTestId('source-path').first().textContent()).toBe('ostrand-water.pdf, p. 3');
      await page.getByTestId('marker').first().click();
      // The passage panel marks the citation's quote: the tariff's sentence (and any sentence quoted with it).
      const quoted = ((await page.getByTestId('passage-quote').first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
      expect(quoted.startsWith(QUOTE)).toBe(true);
      const open = page.getByTestId('show-in-article');
      await expect.poll(() => open.textContent()).toMatch(/Show on page 3/);
      await open.click();

      const sheet = page.getByTestId('pdf-page');
      await sheet.waitFor();
      expect(await sheet.getAttribute('data-page')).toBe('3');
      await page.getByTestId('pdf-quote').first().waitFor();
      // The highlighted text-layer spans are the quote, and nothing else of the page.
      const marked = (await page.getByTestId('pdf-quote').allTextContents()).join(' ').replace(/\s+/g, ' ').trim();
      expect(marked).toBe(quoted);
      // The page was painted (the canvas is not blank).
      const painted = await page.evaluate(() => {
        const canvas = document.querySelector('[data-testid="pdf-page"] canvas') as HTMLCanvasElement;
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128 && (data[i + 3] ?? 0) > 0) dark++;
        return dark;
      });
      expect(painted).toBeGreaterThan(100);
      // The highlight sits over the quote's line of the rendered page, in view.
      const box = await page.getByTestId('pdf-quote').first().boundingBox();
      expect(box?.width).toBeGreaterThan(50);
      await page.screenshot({ path: `${SHOTS}/desktop-pdf-page.png` });

      // PDF.js came from Footnote itself (no CDN), and the PDF with the access token.
      expect(vendor).toEqual(expect.arrayContaining(['/vendor/pdfjs/pdf.min.mjs', '/vendor/pdfjs/pdf.worker.min.mjs']));
      expect(vendor.filter((v) => v.startsWith('external'))).toEqual([]);

      // The text view is the fallback, one click away.
      await page.getByTestId('article-mode').click();
      await page.getByTestId('article-highlight').waitFor();
      expect(await page.getByTestId('article-highlight').textContent()).toContain('2.15 euros per cubic metre');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('falls back to the text view when the page cannot be rendered', async () => {
    const { page, errors, close } = await openPage(browser, server.url, {
      expectedConsoleErrors: /Failed to load resource|net::ERR_FAILED/,
      before: async (p) => {
        await p.addInitScript((token) => sessionStorage.setItem('footnote.apiToken', token), TOKEN);
        await p.route('**/vendor/pdfjs/**', (route) => route.abort());
      },
    });
    try {
      await ask(page, 'What is the new water tariff in Ostrand?');
      await page.getByTestId('marker').first().click();
      await page.getByTestId('show-in-article').click();
      await page.getByTestId('article-highlight').waitFor();
      expect(await page.getByTestId('article-highlight').textContent()).toContain('2.15 euros per cubic metre');
      expect(await page.getByTestId('pdf-page').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

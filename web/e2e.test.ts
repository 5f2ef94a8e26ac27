import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbedder } from '../ingest/embedder.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingest } from '../ingest/pipeline.ts';
import { activeTestId, ask, byId, launchChromium, openPage, SHOTS, waitForAnswer } from '../test/browser.ts';
import { type RunningServer, startServer } from '../test/helpers.ts';
import type { AskResult } from '../server/qa/index.ts';

/** The browser tests drive the real server and the real UI in headless Chromium. */

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const openApp = (url: string, options: BrowserContextOptions = {}) => openPage(browser, url, options);

async function apiAsk(url: string, question: string, history: unknown[] = []): Promise<AskResult> {
  const res = await fetch(`${url}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question, history }),
  });
  return (await res.json()) as AskResult;
}

describe('chat UI against the real server (seed corpus)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ INDEX_DIR: inject('seedsIndexDir') });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('streams an answer, opens a footnote and shows the passage inside its source article', async () => {
    const { page, errors, close } = await openApp(server.url);
    const streamed: string[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/ask')) streamed.push(r.headers()['content-type'] ?? '');
    });

    await expect.poll(() => byId(page, 'corpus-list').locator('li').count()).toBe(5);
    const question = 'What did Lukashenko say about peace talks?';
    await byId(page, 'example-question').filter({ hasText: question }).click();
    await waitForAnswer(page, 1);
    expect(streamed[0]).toMatch(/text\/event-stream/);

    const expected = await apiAsk(server.url, question);
    expect(expected.abstained).toBe(false);
    const message = byId(page, 'message-assistant').first();
    // The marker buttons keep their literal "[n]", so the rendered text is exactly the server's answer.
    expect(await message.getByTestId('answer-text').textContent()).toBe(expected.answer);
    const markers = message.getByTestId('marker');
    expect(await markers.count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/desktop-answer.png` });

    await markers.first().click();
    const panel = byId(page, 'citation-panel');
    await panel.waitFor();
    const marker = Number(await markers.first().getAttribute('data-marker'));
    const citation = expected.citations.find((c) => c.marker === marker);
    if (!citation) throw new Error(`no citation for marker ${marker}`);
    expect(await byId(page, 'passage-text').textContent()).toBe(citation.text);
    expect(await byId(page, 'passage-quote').textContent()).toBe(citation.quote);
    expect(await byId(page, 'passage-title').textContent()).toBe(citation.title);
    // The highlighted passage really is in the source article, at its offsets.
    const article = readFileSync(citation.source, 'utf8');
    expect(article.slice(citation.start, citation.end)).toBe(await byId(page, 'passage-text').textContent());
    await page.screenshot({ path: `${SHOTS}/desktop-panel.png` });

    await byId(page, 'show-in-article').click();
    const highlight = byId(page, 'article-highlight');
    await highlight.waitFor();
    expect(await highlight.textContent()).toBe(citation.text);
    expect(await byId(page, 'article-view').locator('.article-text').textContent()).toBe(article);
    await expect.poll(() => highlight.isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/desktop-article.png` });

    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await activeTestId(page)).toBe('marker');
    expect(errors).toEqual([]);
    await close();
  });

  it('lists the articles with their titles, short paths and datelines', async () => {
    const { page, errors, close } = await openApp(server.url);
    const items = byId(page, 'corpus-list').locator('li');
    await expect.poll(() => items.count()).toBe(5);
    const dated = items.filter({ hasText: 'Putin tells Lukashenko about' });
    expect(await dated.locator('.corpus-date').textContent()).toBe('11 March 2022');
    // Articles without a dateline show none, rather than a guess.
    expect(await items.locator('.corpus-date').count()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it('hides page residue ("Leave a Reply", stray tags) in the article view, offsets unchanged', async () => {
    const { page, errors, close } = await openApp(server.url);
    const message = await ask(page, 'What did Lukashenka boast about on the anniversary of the invasion?');
    const marker = message.getByTestId('marker').first();
    await marker.click();
    await byId(page, 'show-in-article').click();
    await byId(page, 'article-highlight').waitFor();
    const articleText = byId(page, 'article-view').locator('.article-text');
    const source = readFileSync('seeds/002_cebfa29bc1daa768.txt', 'utf8');
    expect(source).toContain('Leave a Reply');
    // Still the whole file underneath (offsets line up), but the residue is not shown.
    expect(await articleText.textContent()).toBe(source);
    expect(await articleText.innerText()).not.toContain('Leave a Reply');
    expect(errors).toEqual([]);
    await close();
  });

  it('sends the conversation as history for a follow-up question', async () => {
    const { page, errors, close } = await openApp(server.url);
    const bodies: { question: string; history?: { role: string; content: string }[] }[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/ask')) bodies.push(r.postDataJSON());
    });
    const first = await ask(page, 'What did Putin tell Lukashenko about the negotiations?');
    const firstAnswer = await first.getByTestId('answer-text').textContent();
    await ask(page, 'What did he say about sanctions?');

    expect(bodies[0]?.history ?? []).toEqual([]);
    expect(bodies[1]?.history).toEqual([
      { role: 'user', content: 'What did Putin tell Lukashenko about the negotiations?' },
      { role: 'assistant', content: firstAnswer },
    ]);
    expect(await byId(page, 'message-user').count()).toBe(2);
    expect(
      await byId(page, 'message-assistant').nth(1).getByTestId('answer-text').textContent(),
    ).toBeTruthy();
    expect(await byId(page, 'error-message').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('shows an abstention with related passages and no footnotes', async () => {
    const { page, errors, close } = await openApp(server.url);
    const message = await ask(page, 'What is the population of Belarus?');
    const abstained = message.getByTestId('abstained');
    expect(await abstained.isVisible()).toBe(true);
    // The server's own words, once: no heading that says it again.
    const expected = await apiAsk(server.url, 'What is the population of Belarus?');
    expect(await abstained.getByTestId('answer-text').textContent()).toBe(expected.answer);
    expect(await message.getByTestId('marker').count()).toBe(0);
    expect(await message.getByTestId('related-passages').isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/desktop-abstained.png` });
    expect(errors).toEqual([]);
    await close();
  });

  it('works on a phone: the source opens as a bottom sheet, nothing overflows', async () => {
    const { page, errors, close } = await openApp(server.url, { viewport: PHONE, colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOTS}/phone-empty-dark.png` });
    await ask(page, 'How many troops did Ukraine deploy along the Belarus border?');
    await byId(page, 'marker').first().click();
    const panel = byId(page, 'citation-panel');
    await panel.waitFor();
    // The sheet slides in (its animation may not have started yet): wait until it rests full width at the bottom.
    await expect
      .poll(
        async () => {
          const box = await panel.boundingBox();
          return box && { x: box.x, width: box.width, bottom: Math.round(box.y + box.height) };
        },
        { timeout: 10_000 },
      )
      .toEqual({ x: 0, width: PHONE.width, bottom: PHONE.height });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: `${SHOTS}/phone-sheet-dark.png` });
    await byId(page, 'panel-close').click();
    await panel.waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
    await close();
  });

  it('can be used with the keyboard alone', async () => {
    const { page, errors, close } = await openApp(server.url);
    for (let i = 0; i < 15 && (await activeTestId(page)) !== 'question-input'; i++)
      await page.keyboard.press('Tab');
    expect(await activeTestId(page)).toBe('question-input');
    await page.keyboard.type('What did Putin tell Lukashenko about the negotiations?');
    await page.keyboard.press('Enter');
    await waitForAnswer(page, 1);

    for (let i = 0; i < 10 && (await activeTestId(page)) !== 'marker'; i++)
      await page.keyboard.press('Shift+Tab');
    expect(await activeTestId(page)).toBe('marker');
    await page.keyboard.press('Enter');
    await byId(page, 'citation-panel').waitFor();
    expect(await activeTestId(page)).toBe('panel-close');
    await page.keyboard.press('Tab');
    expect(await activeTestId(page)).toBe('show-in-article');
    await page.keyboard.press('Enter');
    await byId(page, 'article-highlight').waitFor();
    expect(await activeTestId(page)).toBe('article-highlight');
    await page.screenshot({ path: `${SHOTS}/keyboard-article.png` });
    await page.keyboard.press('Escape');
    await byId(page, 'citation-panel').waitFor({ state: 'hidden' });
    expect(await activeTestId(page)).toBe('marker');
    expect(errors).toEqual([]);
    await close();
  });

  it('shows a slow request as "Still working…" and keeps Send disabled until it ends', async () => {
    const { page, close } = await openApp(server.url);
    await page.clock.install();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/ask', async (route) => {
      await held;
      await route.continue();
    });
    await byId(page, 'question-input').fill('What did Lukashenko say about peace talks?');
    await byId(page, 'send-button').click();
    expect(await byId(page, 'send-button').isDisabled()).toBe(true);
    await page.clock.fastForward(9000);
    await page.getByText('Still working…').waitFor();
    release();
    await waitForAnswer(page, 1);
    expect(await byId(page, 'send-button').isEnabled()).toBe(true);
    await close();
  });

  it('shows a failed request with a Retry button that asks again', async () => {
    const { page, close } = await openApp(server.url);
    await page.route(
      '**/ask',
      (route) =>
        route.fulfill({
          status: 500,
          json: { error: { code: 'internal_error', message: 'internal error' } },
        }),
      { times: 1 },
    );
    const message = await ask(page, 'What did Lukashenko say about peace talks?');
    expect(await message.getByTestId('error-message').textContent()).toContain('internal error');
    await page.screenshot({ path: `${SHOTS}/desktop-error.png` });
    await message.getByTestId('retry-button').click();
    await message.getByTestId('answer-text').waitFor();
    expect(await message.getByTestId('error-message').count()).toBe(0);
    expect(await message.getByTestId('marker').count()).toBeGreaterThan(0);
    await close();
  });

  it('shows a banner while the server is not ready and clears it once it is', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.route('**/health', (route) =>
      route.fulfill({ status: 503, json: { status: 'loading', model: null, documents: 0, passages: 0 } }),
    );
    await page.goto(server.url);
    const banner = byId(page, 'not-ready-banner');
    await banner.waitFor();
    await page.screenshot({ path: `${SHOTS}/desktop-not-ready.png` });
    await page.unroute('**/health');
    await banner.waitFor({ state: 'hidden', timeout: 10_000 });
    await expect.poll(() => byId(page, 'corpus-list').locator('li').count()).toBe(5);
    await context.close();
  });
});

describe('chat UI with a hostile document', () => {
  const hostile = [
    '<img src=x onerror="window.__xss=1"> Harbour talks <b>collapse</b> in Marlow',
    '',
    'The fisheries minister said the harbour talks failed <img src=x onerror="window.__xss=1"> after three days of negotiations in Marlow.',
    '<script>window.__xss = 1</script>',
    'Officials in the port city of Marlow had expected a deal on fishing quotas before the winter season, the minister added.',
    '',
  ].join('\n');
  let server: RunningServer;

  beforeAll(async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'footnote-xss-'));
    const corpusDir = path.join(root, 'corpus');
    await mkdir(corpusDir);
    await writeFile(path.join(corpusDir, 'harbour.txt'), hostile);
    const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
    const indexDir = path.join(root, 'index');
    await ingest({ corpusDir, indexDir, embedder, maxBytes: 1024 * 1024 });
    server = await startServer({ INDEX_DIR: indexDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows markup in documents and answers as literal text, never running it', async () => {
    const { page, errors, close } = await openApp(server.url);
    const message = await ask(page, 'What did the fisheries minister say about the harbour talks?');
    expect(await message.getByTestId('answer-text').textContent()).toContain('<img src=x');
    await message.getByTestId('marker').first().click();
    expect(await byId(page, 'passage-title').textContent()).toContain('<img src=x');
    expect(await byId(page, 'passage-text').textContent()).toContain('<img src=x onerror=');
    await byId(page, 'show-in-article').click();
    await byId(page, 'article-highlight').waitFor();
    expect(await byId(page, 'article-view').textContent()).toContain('<script>window.__xss = 1</script>');
    await page.screenshot({ path: `${SHOTS}/desktop-hostile.png` });

    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    expect(
      await page.locator('main img, aside img, main script, aside script, main b, aside b').count(),
    ).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});

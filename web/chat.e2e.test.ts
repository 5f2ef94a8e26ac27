import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeTestId, ask, byId, launchChromium, type OpenOptions, openPage, SHOTS, waitForAnswer } from '../test/browser.ts';
import { type RunningServer, startServer } from '../test/helpers.ts';
import type { AskResult } from '../server/qa/index.ts';

/**
 * A chat people keep open: stop, history, copy and share, feedback, and the details of answers and
 * sources, in real Chromium against the real server.
 */

const PHONE = { width: 375, height: 740 };

let browser: Browser;
let server: RunningServer;
let feedbackFile: string;

beforeAll(async () => {
  feedbackFile = path.join(await mkdtemp(path.join(tmpdir(), 'footnote-ui-feedback-')), 'feedback.jsonl');
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ INDEX_DIR: inject('seedsIndexDir'), FEEDBACK_FILE: feedbackFile, RATE_LIMIT_PER_MINUTE: '0' }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const open = (url: string, options: OpenOptions = {}) => openPage(browser, url, options);

async function apiAsk(question: string, history: unknown[] = []): Promise<AskResult> {
  const res = await fetch(`${server.url}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question, history }),
  });
  return (await res.json()) as AskResult;
}

/** Holds every /ask request until the test lets it go (or the page aborts it). */
async function holdAsk(page: Page) {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route('**/ask', async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  return release;
}

const settle = (locator: Locator) =>
  locator.evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));

const Q1 = 'What did Lukashenko say about peace talks?';
const Q2 = 'How many troops did Ukraine deploy along the Belarus border?';
const Q3 = 'What did Putin tell Lukashenko about the negotiations?';

describe('stop', () => {
  it('a Stop button replaces Send while an answer is pending, aborts the request, and can ask again', async () => {
    const { page, errors, close } = await open(server.url);
    const release = await holdAsk(page);
    const aborted = new Promise<string>((resolve) =>
      page.on('requestfailed', (r) => {
        if (r.url().endsWith('/ask')) resolve(r.failure()?.errorText ?? '');
      }),
    );
    await byId(page, 'question-input').fill(Q1);
    await byId(page, 'send-button').click();
    const stopButton = byId(page, 'stop-button');
    await stopButton.waitFor();
    expect(await byId(page, 'send-button').isHidden()).toBe(true);
    expect(await stopButton.getAttribute('aria-label')).toBe('Stop answering');
    // Focus moves with the button that took Send's place.
    expect(await activeTestId(page)).toBe('stop-button');

    // Enter while pending no longer does nothing silently: it says how to stop.
    await byId(page, 'question-input').fill('Another question');
    await byId(page, 'question-input').press('Enter');
    await page.getByText('Still answering. Press Stop').waitFor();
    expect(await byId(page, 'question-input').inputValue()).toBe('Another question');
    await page.screenshot({ path: `${SHOTS}/stop-pending.png` });

    await stopButton.click();
    expect(await aborted).toMatch(/ABORTED/);
    const message = byId(page, 'message-assistant').first();
    await message.getByTestId('stopped').waitFor();
    expect(await message.getAttribute('aria-busy')).toBe('false');
    expect(await stopButton.isHidden()).toBe(true);
    expect(await byId(page, 'send-button').isEnabled()).toBe(true);
    expect(await activeTestId(page)).toBe('send-button');
    await page.screenshot({ path: `${SHOTS}/stop-stopped.png` });

    // Ask again, this time answered.
    release();
    await page.unroute('**/ask');
    await message.getByTestId('retry-button').click();
    await message.getByTestId('answer-text').waitFor();
    expect(await message.getByTestId('marker').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('Esc in the question box stops too', async () => {
    const { page, close } = await open(server.url);
    await holdAsk(page);
    await byId(page, 'question-input').fill(Q1);
    await byId(page, 'question-input').press('Enter');
    await byId(page, 'stop-button').waitFor();
    await byId(page, 'question-input').press('Escape');
    await byId(page, 'stopped').waitFor();
    await close();
  });
});

describe('conversations kept in the browser', () => {
  it('keeps the conversation across a reload, keeps old ones on New chat, reopens, renames and deletes', async () => {
    const { page, errors, close } = await open(server.url);
    await ask(page, Q3);
    await ask(page, 'What did he say about sanctions?');
    await page.reload();
    await waitForAnswer(page, 2);
    expect(await byId(page, 'message-user').allTextContents()).toEqual([Q3, 'What did he say about sanctions?']);
    expect(await byId(page, 'message-assistant').first().getByTestId('marker').count()).toBeGreaterThan(0);

    // Follow-ups after the reload still carry the history.
    const bodies: { history?: unknown[] }[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/ask')) bodies.push(r.postDataJSON());
    });
    await ask(page, 'What did he say about Zelensky?');
    expect(bodies[0]?.history).toHaveLength(4);

    await byId(page, 'new-chat').click();
    expect(await byId(page, 'message-user').count()).toBe(0);
    await ask(page, Q2);

    await byId(page, 'history-toggle').click();
    const titles = byId(page, 'history-title');
    await expect.poll(() => titles.allTextContents()).toEqual([Q2, Q3]);
    expect(await page.locator('.history-item.is-current [data-testid="history-title"]').textContent()).toBe(Q2);
    await page.screenshot({ path: `${SHOTS}/conversation-list.png` });

    // Reopen the first conversation.
    await byId(page, 'history-open').nth(1).click();
    await expect.poll(() => byId(page, 'message-user').allTextContents()).toEqual([
      Q3,
      'What did he say about sanctions?',
      'What did he say about Zelensky?',
    ]);

    // Rename it; the name survives a reload.
    await page.getByRole('button', { name: `Rename “${Q3}”` }).click();
    const input = byId(page, 'history-rename-input');
    await input.fill('Putin and Lukashenko');
    await input.press('Enter');
    await expect.poll(() => titles.allTextContents()).toEqual([Q2, 'Putin and Lukashenko']);
    await page.reload();
    await waitForAnswer(page, 3);
    await byId(page, 'history-toggle').click();
    await expect.poll(() => titles.allTextContents()).toEqual([Q2, 'Putin and Lukashenko']);

    // Delete the other one.
    await page.getByRole('button', { name: `Delete “${Q2}”` }).click();
    await expect.poll(() => titles.allTextContents()).toEqual(['Putin and Lukashenko']);
    // Deleting the conversation on screen starts a new chat.
    await page.getByRole('button', { name: 'Delete “Putin and Lukashenko”' }).click();
    await expect.poll(() => byId(page, 'message-user').count()).toBe(0);
    expect(await page.locator('.history-empty').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });
});

describe('copy and share', () => {
  it('copies an answer as text with its footnotes', async () => {
    const { page, errors, close } = await open(server.url, { permissions: ['clipboard-read', 'clipboard-write'] });
    const message = await ask(page, Q1);
    const expected = await apiAsk(Q1);
    const cited = expected.citations
      .filter((c) => expected.answer.includes(`[${c.marker}]`))
      .sort((a, b) => a.marker - b.marker);
    expect(cited.length).toBeGreaterThan(0);
    const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

    await message.getByTestId('copy-answer').click();
    await message.getByTestId('copy-answer').filter({ hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const lines = copied.split('\n');
    expect(copied).toContain(expected.answer.trim());
    for (const c of cited) expect(lines).toContain(`[${c.marker}] ${flat(c.title)} — “${flat(c.quote)}”`);

    // What was copied, pasted into the question box for the screenshot.
    await byId(page, 'question-input').focus();
    await page.keyboard.press('ControlOrMeta+V');
    expect(await byId(page, 'question-input').inputValue()).toBe(copied);
    await page.screenshot({ path: `${SHOTS}/copied-text.png` });
    await byId(page, 'question-input').fill('');

    await message.getByTestId('copy-link').click();
    await message.getByTestId('copy-link').filter({ hasText: 'Link copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      `${server.url}/?q=${encodeURIComponent(Q1)}`,
    );
    expect(errors).toEqual([]);
    await close();
  });

  it('a /?q=… link asks its question on load; ↑ in the empty box recalls the last question', async () => {
    const { page, errors, close } = await open(`${server.url}/?q=${encodeURIComponent(Q2)}`);
    await waitForAnswer(page, 1);
    expect(await byId(page, 'message-user').first().textContent()).toBe(Q2);
    expect(await byId(page, 'message-assistant').first().getByTestId('marker').count()).toBeGreaterThan(0);
    expect(new URL(page.url()).search).toBe('');

    const input = byId(page, 'question-input');
    await input.focus();
    await page.keyboard.press('ArrowUp');
    expect(await input.inputValue()).toBe(Q2);
    // Only in an empty box: with text in it, ↑ moves the caret as usual.
    await input.fill('Who');
    await page.keyboard.press('ArrowUp');
    expect(await input.inputValue()).toBe('Who');

    // A reload shows the conversation, and does not ask again.
    let asked = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/ask')) asked++;
    });
    await page.reload();
    await waitForAnswer(page, 1);
    expect(await byId(page, 'message-user').count()).toBe(1);
    expect(asked).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});

describe('feedback', () => {
  it('👎 with a comment is sent to POST /feedback and appended to the feedback file', async () => {
    const { page, errors, close } = await open(server.url);
    const first = await ask(page, Q3);
    const message = await ask(page, 'What did he say about sanctions?');
    const answer = await message.getByTestId('answer-text').textContent();
    await message.getByTestId('feedback-down').click();
    expect(await message.getByTestId('feedback-down').getAttribute('aria-pressed')).toBe('true');
    const comment = message.getByTestId('feedback-comment');
    expect(await comment.evaluate((el) => el === document.activeElement)).toBe(true);
    await comment.fill('It should say what he said about sanctions, not about talks.');
    await page.screenshot({ path: `${SHOTS}/feedback-form.png` });
    await message.getByTestId('feedback-send').click();
    await message.getByTestId('feedback-thanks').waitFor();
    expect(await message.getByTestId('feedback-down').isDisabled()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/feedback-sent.png` });

    const lines = (await readFile(feedbackFile, 'utf8')).trim().split('\n');
    const record = JSON.parse(lines.at(-1) ?? '{}');
    expect(record).toMatchObject({
      rating: 'down',
      comment: 'It should say what he said about sanctions, not about talks.',
      question: 'What did he say about sanctions?',
      history: [
        { role: 'user', content: Q3 },
        { role: 'assistant', content: await first.getByTestId('answer-text').textContent() },
      ],
      answer,
    });
    expect(record.citations.length).toBeGreaterThan(0);
    expect(Date.parse(record.timestamp)).toBeGreaterThan(Date.now() - 60_000);

    // 👍 without a comment; the rating stays shown after a reload.
    await first.getByTestId('feedback-up').click();
    await first.getByTestId('feedback-send').click();
    await first.getByTestId('feedback-thanks').waitFor();
    expect(JSON.parse((await readFile(feedbackFile, 'utf8')).trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      rating: 'up',
      question: Q3,
    });
    await page.reload();
    await waitForAnswer(page, 2);
    expect(await byId(page, 'feedback-thanks').count()).toBe(2);
    expect(await byId(page, 'message-assistant').nth(1).getByTestId('feedback-down').getAttribute('aria-pressed')).toBe(
      'true',
    );
    expect(errors).toEqual([]);
    await close();
  });
});

describe('answers and sources', () => {
  const citation = {
    marker: 1,
    docId: '004_ec9c24d3208588b7',
    source: 'seeds/004_ec9c24d3208588b7.txt',
    title: 'Putin ally Lukashenko turns on him and urges fighting in Ukraine to stop',
    start: 0,
    end: 20,
    text: 'The talks began on August 6 in Minsk.',
    quote: 'The talks began on August 6 in Minsk.',
    score: 1,
  };
  const reply = (page: Page, body: object) =>
    page.route('**/ask', (route) => route.fulfill({ json: { citations: [], timings: { retrieveMs: 1, answerMs: 1, totalMs: 2 }, ...body } }), {
      times: 1,
    });

  it('shows the short answer first, in bold, when there is one (and nothing extra when not)', async () => {
    const { page, errors, close } = await open(server.url, { permissions: ['clipboard-read', 'clipboard-write'] });
    await reply(page, {
      answer: 'The talks began on August 6 in Minsk. [1]',
      abstained: false,
      citations: [citation],
      answerSpan: { text: 'August 6', docId: citation.docId, start: 19, end: 27 },
    });
    const message = await ask(page, 'When did the talks begin?');
    const span = message.getByTestId('answer-span');
    expect(await span.textContent()).toBe('August 6');
    expect(Number(await span.evaluate((el) => getComputedStyle(el).fontWeight))).toBeGreaterThanOrEqual(700);
    // First: above the answer.
    const [spanBox, answerBox] = [await span.boundingBox(), await message.getByTestId('answer-text').boundingBox()];
    expect(spanBox?.y).toBeLessThan(answerBox?.y ?? 0);
    await message.getByTestId('copy-answer').click();
    await message.getByTestId('copy-answer').filter({ hasText: 'Copied' }).waitFor();
    expect((await page.evaluate(() => navigator.clipboard.readText())).split('\n')[0]).toBe('August 6');

    // An answer that starts with its span keeps its exact text, the span bolded in place.
    await reply(page, {
      answer: 'August 6 — The talks began on August 6 in Minsk. [1]',
      abstained: false,
      citations: [citation],
      answerSpan: { text: 'August 6', docId: citation.docId, start: 19, end: 27 },
    });
    const leading = await ask(page, 'When did the talks begin?');
    expect(await leading.getByTestId('answer-text').textContent()).toBe('August 6 — The talks began on August 6 in Minsk. [1]');
    expect(await leading.getByTestId('answer-span').count()).toBe(1);
    expect(await leading.locator('.answer-span').count()).toBe(0);

    await reply(page, { answer: 'The talks began in Minsk. [1]', abstained: false, citations: [citation] });
    const plain = await ask(page, 'Where did the talks begin?');
    expect(await plain.getByTestId('answer-span').count()).toBe(0);
    expect(await plain.locator('strong').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('says an abstention once: no heading that repeats the answer', async () => {
    const { page, errors, close } = await open(server.url);
    const expected = await apiAsk('What is the population of Belarus?');
    expect(expected.abstained).toBe(true);
    const message = await ask(page, 'What is the population of Belarus?');
    const abstained = message.getByTestId('abstained');
    expect(await abstained.getByTestId('answer-text').textContent()).toBe(expected.answer);
    // The server's wording appears once, and "don't say" is not said twice.
    const text = (await abstained.textContent()) ?? '';
    expect(text.split(expected.answer.slice(0, 20)).length - 1).toBe(1);
    expect(text.match(/don.t say/gi)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(await message.getByTestId('marker').count()).toBe(0);
    expect(await message.getByTestId('related-passages').isVisible()).toBe(true);
    // Related passages: title and a short path, with the full ones in a tooltip.
    const path = message.getByTestId('source-path').first();
    expect((await path.textContent())?.length).toBeLessThanOrEqual(22);
    expect(await message.locator('.related-title').first().getAttribute('title')).toContain(expected.citations[0]?.source);
    await page.screenshot({ path: `${SHOTS}/desktop-abstained.png` });
    expect(errors).toEqual([]);
    await close();
  });

  it('closes the open source when a new answer comes, so [1] never shows another answer’s source', async () => {
    const { page, errors, close } = await open(server.url);
    const first = await ask(page, Q1);
    await first.getByTestId('marker').first().click();
    const panel = byId(page, 'citation-panel');
    await panel.waitFor();
    const firstTitle = await byId(page, 'passage-title').textContent();

    const second = await ask(page, Q2);
    expect(await panel.isHidden()).toBe(true);
    const expected = await apiAsk(Q2, [
      { role: 'user', content: Q1 },
      { role: 'assistant', content: await first.getByTestId('answer-text').textContent() },
    ]);
    await second.getByTestId('marker').first().click();
    await panel.waitFor();
    const marker = Number(await second.getByTestId('marker').first().getAttribute('data-marker'));
    expect(await byId(page, 'passage-title').textContent()).toBe(
      expected.citations.find((c) => c.marker === marker)?.title,
    );
    expect(firstTitle).toBeTruthy();
    expect(errors).toEqual([]);
    await close();
  });

  it('keeps each marker with the word before it, gives it a 24×24 px target, labels sources shortly', async () => {
    const { page, errors, close } = await open(server.url, { viewport: { width: 320, height: 700 } });
    const message = await ask(page, Q1);
    await ask(page, Q3);
    const groups = await page.locator('.answer .nowrap').evaluateAll((els) =>
      els.map((el) => ({
        lines: new Set(Array.from(el.getClientRects(), (r) => Math.round(r.top))).size,
        text: el.textContent ?? '',
        hasMarker: el.querySelector('[data-testid="marker"]') !== null,
      })),
    );
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      expect(g.hasMarker).toBe(true);
      expect(g.text).toMatch(/^\S+\s*\[\d+\]/);
      expect(g.lines, g.text).toBe(1);
    }
    for (const box of await page.getByTestId('marker').evaluateAll((els) =>
      els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect),
    )) {
      expect(box.width).toBeGreaterThanOrEqual(24);
      expect(box.height).toBeGreaterThanOrEqual(24);
    }
    // Sources under an answer: the title, a short file name, and the full title and path as a tooltip.
    const link = message.getByTestId('source-link').first();
    const path = (await link.getByTestId('source-path').textContent()) ?? '';
    expect(path.length).toBeLessThanOrEqual(22);
    expect(path).not.toContain('/');
    const tooltip = (await link.locator('.source-title').getAttribute('title')) ?? '';
    expect(tooltip).toMatch(/^.+\nseeds\/.+\.txt$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.screenshot({ path: `${SHOTS}/narrow-markers.png` });
    expect(errors).toEqual([]);
    await close();
  });
});

describe('phone bottom sheet', () => {
  it('traps focus, keeps "Back to passage" in view, and closes with a swipe down', async () => {
    const { page, errors, close } = await open(server.url, {
      viewport: PHONE,
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 2,
    });
    await ask(page, Q2);
    const marker = byId(page, 'marker').first();
    await marker.click();
    const panel = byId(page, 'citation-panel');
    await panel.waitFor();
    await settle(panel);
    expect(await panel.getAttribute('aria-modal')).toBe('true');
    expect(await page.locator('main.chat').evaluate((el) => (el as HTMLElement).inert)).toBe(true);

    // Focus cycles inside the sheet, both ways.
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      expect(await panel.evaluate((el) => el.contains(document.activeElement)), key).toBe(true);
    }

    // In the article, "Back to passage" stays visible while the passage is scrolled into view.
    await byId(page, 'show-in-article').click();
    const highlight = byId(page, 'article-highlight');
    await highlight.waitFor();
    await expect.poll(() => highlight.isVisible()).toBe(true);
    const back = byId(page, 'back-to-passage');
    await expect
      .poll(() =>
        back.evaluate((el) => {
          const r = el.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return r.top >= 0 && r.bottom <= innerHeight && (hit === el || el.contains(hit));
        }),
      )
      .toBe(true);
    await page.screenshot({ path: `${SHOTS}/phone-article-back.png` });
    await back.click();
    await byId(page, 'passage-text').waitFor();

    // Swipe the handle down with a finger.
    const head = byId(page, 'panel-handle');
    const box = await head.boundingBox();
    if (!box) throw new Error('no handle');
    const x = box.x + box.width / 3;
    const y = box.y + 8;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
    for (let i = 1; i <= 10; i++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y + i * 25 }] });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await panel.waitFor({ state: 'hidden' });
    expect(await page.locator('main.chat').evaluate((el) => (el as HTMLElement).inert)).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('marker');
    await page.screenshot({ path: `${SHOTS}/phone-sheet-after-swipe.png` });

    // A short drag is not a swipe: the sheet stays.
    await marker.click();
    await panel.waitFor();
    await settle(panel);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y + 20 }] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await expect.poll(() => panel.evaluate((el) => (el as HTMLElement).style.transform)).toBe('');
    expect(await panel.isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it('lists conversations on a phone too', async () => {
    const { page, errors, close } = await open(server.url, { viewport: PHONE });
    await ask(page, Q1);
    await byId(page, 'history-toggle').click();
    await byId(page, 'history-title').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: `${SHOTS}/phone-conversation-list.png` });
    await byId(page, 'history-open').first().click();
    await byId(page, 'history').waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
    await close();
  });
});

describe('delivery', () => {
  it('loads the page with gzip, versioned long-cached assets and ETags', async () => {
    const seen = new Map<string, Record<string, string>>();
    const { page, errors, close } = await open(server.url, {
      before: (p) =>
        p.on('response', async (r) => {
          const u = new URL(r.url());
          if (/\.(js|css)$/.test(u.pathname)) seen.set(u.pathname + u.search, await r.allHeaders());
        }),
    });
    await byId(page, 'corpus-list').locator('.corpus-item').first().waitFor();
    const app = [...seen.entries()].find(([url]) => url.startsWith('/app.js?v='));
    expect(app, [...seen.keys()].join(', ')).toBeTruthy();
    for (const [url, headers] of seen) {
      expect(url).toMatch(/\?v=[\w-]+$/);
      expect(headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
      expect(headers['content-encoding'], url).toBe('gzip');
      expect(headers.etag, url).toMatch(/^W\/"/);
    }
    expect(seen.size).toBeGreaterThanOrEqual(8);
    expect(errors).toEqual([]);
    await close();
  });
});

import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from '../test/browser.ts';
import { type RunningServer, startServer } from '../test/helpers.ts';

/** The API reference page (/api.html), rendered from the real server's /openapi.json in headless Chromium. */

const PHONE = { width: 375, height: 740 };

let browser: Browser;
let server: RunningServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ INDEX_DIR: inject('seedsIndexDir') }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const open = (url: string, options: BrowserContextOptions = {}) => openPage(browser, url, options);

const operation = (page: Page, method: string, path: string) =>
  page.locator(`[data-testid="operation"][data-method="${method}"][data-path="${path}"]`);

describe('API reference page', () => {
  it('shows every route of /openapi.json with its request and response schemas', async () => {
    const { page, errors, close } = await open(`${server.url}/api.html`);
    const askPost = operation(page, 'post', '/ask');
    await askPost.waitFor();
    expect(await page.getByTestId('docs-status').isHidden()).toBe(true);

    // Every operation of the document is shown, and listed in the navigation.
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const expected = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    const shown = await page
      .getByTestId('operation')
      .evaluateAll((els) =>
        els.map((el) => `${el.getAttribute('data-method')} ${el.getAttribute('data-path')}`),
      );
    expect(shown.sort()).toEqual(expected.sort());
    expect(await page.locator('.toc-op').count()).toBe(expected.length);
    for (const route of [
      'get /ask',
      'get /health',
      'get /documents',
      'get /documents/{id}',
      'post /v1/chat/completions',
    ]) {
      expect(shown).toContain(route);
    }

    // POST /ask: badge, path, summary, and the request body's fields with their rules.
    expect(await askPost.locator('.op-title').textContent()).toBe('POST /ask');
    expect(await askPost.textContent()).toContain('Answer a question with cited passages');
    const request = askPost.locator('[data-testid="schema"][data-schema="AskRequest"]').first();
    const question = request.locator('[data-testid="property"][data-name="question"]');
    expect(await question.locator('.prop-type').textContent()).toBe('string');
    expect(await question.locator('.chip-required').textContent()).toBe('required');
    const rules = await question.getByTestId('constraint').allTextContents();
    expect(rules).toContain('max length 2000');
    expect(rules).toContain('min length 1');
    expect(await question.textContent()).toContain('"What did Lukashenko say about peace talks?"');
    const k = request.locator('[data-testid="property"][data-name="k"]');
    expect(await k.getByTestId('constraint').allTextContents()).toEqual(['minimum 1', 'maximum 20']);
    expect(await k.locator('.chip-optional').textContent()).toBe('optional');
    // $refs are resolved: history's items are ChatTurns, with their role enum.
    const history = request.locator('[data-testid="property"][data-name="history"]');
    expect(await history.locator('.prop-type').first().textContent()).toBe('array of ChatTurn');
    expect(await history.locator('[data-name="role"] [data-testid="enum"]').textContent()).toBe(
      'One of "user", "assistant"',
    );

    // Responses: 200 open with the nested citation fields, errors folded.
    const ok = askPost.locator('[data-testid="response"][data-status="200"]');
    expect(await ok.getAttribute('open')).not.toBeNull();
    expect(await ok.textContent()).toContain('text/event-stream');
    expect(await ok.locator('[data-name="citations"] [data-name="quote"]').count()).toBe(1);
    expect(
      await askPost.locator('[data-testid="response"][data-status="400"]').getAttribute('open'),
    ).toBeNull();

    // Parameters of GET /ask, and the admin note on a document-changing route.
    const q = operation(page, 'get', '/ask').locator('[data-testid="parameter"][data-name="q"]');
    expect(await q.textContent()).toContain('in query');
    expect(await q.getByTestId('constraint').allTextContents()).toContain('max length 2000');
    expect(await operation(page, 'delete', '/documents/{id}').getByTestId('op-auth').textContent()).toContain(
      'Authorization: Bearer <token>',
    );
    await page.screenshot({ path: `${SHOTS}/api-docs.png`, fullPage: false });
    expect(errors).toEqual([]);
    await close();
  });

  it('sends GET /ask from its "Try it" box and shows the answer', async () => {
    const { page, errors, close } = await open(`${server.url}/api.html#get-ask`);
    const askGet = operation(page, 'get', '/ask');
    const form = askGet.getByTestId('try-it');
    await form.waitFor();
    await form.locator('input[name="q"]').fill('What did Lukashenko say about peace talks?');
    await form.getByRole('button', { name: 'Send request' }).click();
    const body = form.getByTestId('try-body');
    await body.waitFor();
    const answer = JSON.parse((await body.textContent()) ?? '') as {
      answer: string;
      abstained: boolean;
      citations: unknown[];
    };
    expect(answer.abstained).toBe(false);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(await form.locator('.try-status').textContent()).toContain('200');
    expect(await form.locator('.try-curl').textContent()).toContain('/ask?q=What+did+Lukashenko');
    await page.screenshot({ path: `${SHOTS}/api-docs-try.png` });
    expect(errors).toEqual([]);
    await close();
  });

  it('is linked from the chat header and fits a phone screen', async () => {
    const { page, errors, close } = await open(server.url, { viewport: PHONE, colorScheme: 'dark' });
    await page.getByTestId('api-link').click();
    await operation(page, 'post', '/ask').waitFor();
    expect(new URL(page.url()).pathname).toBe('/api.html');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await operation(page, 'post', '/ask').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/api-docs-phone-dark.png` });
    expect(errors).toEqual([]);
    await close();
  });
});

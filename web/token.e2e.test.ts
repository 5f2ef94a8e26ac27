import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeTestId, launchChromium, openPage, SHOTS, waitForAnswer } from '../test/browser.ts';
import { type RunningServer, startServer } from '../test/helpers.ts';

/** The chat UI and the API page against a real server started with FOOTNOTE_API_TOKEN. */

const TOKEN = 'secret';

let browser: Browser;
let server: RunningServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ INDEX_DIR: inject('seedsIndexDir'), FOOTNOTE_API_TOKEN: TOKEN }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * A fresh page with console and page errors recorded. Chromium logs every 401 response as a console error
 * ("Failed to load resource"); those are the point of these tests, so only they are let through.
 */
async function open(url: string) {
  /** The Authorization header of every /ask request, '' when absent. */
  const sent: string[] = [];
  const opened = await openPage(browser, url, {
    expectedConsoleErrors: /status of 401/,
    before: (page) =>
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/ask') sent.push(r.headers().authorization ?? '');
      }),
  });
  return { ...opened, sent };
}

describe('a server that needs an access token', () => {
  it('refuses /ask without the token', async () => {
    const res = await fetch(`${server.url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'Who is Hanna Liubakova?' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('asks for the token in the chat, keeps it for the tab and retries the question', async () => {
    const { page, errors, sent, close } = await open(server.url);
    const question = 'What did Lukashenko say about peace talks?';
    await page.getByTestId('question-input').fill(question);
    await page.getByTestId('question-input').press('Enter');
    await waitForAnswer(page, 1);

    const message = page.getByTestId('message-assistant').first();
    const prompt = message.getByTestId('token-prompt');
    await prompt.waitFor();
    expect(await page.getByRole('form', { name: 'This server needs an access token' }).count()).toBe(1);
    expect(await page.getByLabel('Access token', { exact: true }).getAttribute('type')).toBe('password');
    expect(await activeTestId(page)).toBe('token-input');
    expect(await message.getByTestId('error-message').count()).toBe(0);
    expect(await prompt.getByTestId('token-rejected').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/desktop-token-prompt.png` });

    // A wrong token is refused, forgotten, and asked for again.
    await page.getByTestId('token-input').fill('not-the-token');
    await page.getByTestId('token-input').press('Enter');
    await prompt.getByTestId('token-rejected').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('footnote.apiToken'))).toBeNull();

    await page.getByTestId('token-input').fill(TOKEN);
    await prompt.getByTestId('token-submit').click();
    await message.getByTestId('answer-text').waitFor();
    await waitForAnswer(page, 1);
    expect(await message.getByTestId('marker').count()).toBeGreaterThan(0);
    expect(await message.getByTestId('token-prompt').count()).toBe(0);
    expect(sent).toEqual(['', 'Bearer not-the-token', `Bearer ${TOKEN}`]);
    expect(await page.evaluate(() => sessionStorage.getItem('footnote.apiToken'))).toBe(TOKEN);
    await page.screenshot({ path: `${SHOTS}/desktop-token-answered.png` });

    // The next question goes straight through with the stored token.
    await page.getByTestId('question-input').fill('What did Putin tell Lukashenko about the negotiations?');
    await page.getByTestId('question-input').press('Enter');
    await waitForAnswer(page, 2);
    expect(await page.getByTestId('token-prompt').count()).toBe(0);
    expect(await page.getByTestId('message-assistant').nth(1).getByTestId('answer-text').count()).toBe(1);
    expect(sent.at(-1)).toBe(`Bearer ${TOKEN}`);
    expect(errors).toEqual([]);
    await close();
  });

  it('asks for the token in the API page\'s "Try it" box', async () => {
    const { page, errors, sent, close } = await open(`${server.url}/api.html`);
    const form = page
      .locator('[data-testid="operation"][data-method="get"][data-path="/ask"]')
      .getByTestId('try-it');
    await form.getByRole('button', { name: 'Send request' }).click();
    await form.getByTestId('token-prompt').waitFor();
    expect(await form.locator('.try-status').first().textContent()).toContain('401');
    await form.getByTestId('token-input').fill(TOKEN);
    await form.getByTestId('token-submit').click();
    const body = form.getByTestId('try-body');
    await body.waitFor();
    expect(JSON.parse((await body.textContent()) ?? '{}')).toHaveProperty('citations');
    expect(sent).toEqual(['', `Bearer ${TOKEN}`]);
    expect(errors).toEqual([]);
    await close();
  });
});

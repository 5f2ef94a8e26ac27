import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of the main states, for a person to look at (git-ignored). */
export const SHOTS = 'test-results/screenshots';

/**
 * Headless Chromium with the flags this machine needs: without the background-networking ones Chromium
 * keeps trying hosts the closed network refuses.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

export interface OpenOptions extends BrowserContextOptions {
  /** Console errors matching this are expected (e.g. Chromium logs every 401 response) and not recorded. */
  expectedConsoleErrors?: RegExp;
  /** Listeners, init scripts and routes to set up before the page loads (awaited: an init script that is not
   * registered yet when the page loads does not run on it). */
  before?: (page: Page) => unknown;
}

/**
 * A fresh page at `url` in a desktop-sized context, with every console error, page error and dialog recorded:
 * CSP violations and script errors show up there, so tests assert the list stays empty.
 */
export async function openPage(browser: Browser, url: string, options: OpenOptions = {}) {
  const { expectedConsoleErrors, before, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !expectedConsoleErrors?.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`unexpected dialog: ${d.message()}`);
    void d.dismiss();
  });
  // Awaited when it returns a promise (an init script or a route being registered).
  await before?.(page);
  await page.goto(url);
  return { page, errors, close: () => context.close() };
}

/** An element of the page by its `data-testid`. */
export const byId = (page: Page, id: string) => page.getByTestId(id);

/** The `data-testid` of the focused element (keyboard tests). */
export const activeTestId = (page: Page) =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid'));

/** Waits until the `count`-th assistant message exists and is complete (answer or error). */
export async function waitForAnswer(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => {
    const messages = document.querySelectorAll('[data-testid="message-assistant"]');
    return messages.length >= n && messages[n - 1]?.getAttribute('aria-busy') === 'false';
  }, count);
}

/** Types a question, sends it with Enter and waits until its answer (or error) is complete. */
export async function ask(page: Page, question: string) {
  const before = await byId(page, 'message-assistant').count();
  await byId(page, 'question-input').fill(question);
  await byId(page, 'question-input').press('Enter');
  await waitForAnswer(page, before + 1);
  return byId(page, 'message-assistant').nth(before);
}

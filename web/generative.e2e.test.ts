import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchChromium, openPage, SHOTS } from '../test/browser.ts';
import { type RunningServer, startServer } from '../test/helpers.ts';
import { type ScriptedModel, startScriptedModel } from '../test/scripted-model.ts';

/** The real server started with LLM_* settings, a scripted model, and the chat UI in Chromium. */

const TROOPS = 'How many troops did Ukraine deploy along the border with Belarus?';
const FABRICATED = 'Ukraine has deployed more than 450,000 troops along its border with Belarus';
const MINSK = 'In response, Minsk deployed nearly a third of its armed forces along the shared border';

let browser: Browser;
let model: ScriptedModel;
let server: RunningServer;

beforeAll(async () => {
  model = await startScriptedModel({
    fabricated: (req) => {
      const n = req.passages.find((p) => p.text.includes('120,000'))?.n ?? 1;
      return { text: `${FABRICATED} [${n}]. ${MINSK} [${n}].`, chunkDelayMs: 5 };
    },
  });
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({
      INDEX_DIR: inject('seedsIndexDir'),
      RATE_LIMIT_PER_MINUTE: '0',
      LLM_BASE_URL: model.baseURL,
      LLM_MODEL: 'fabricated',
      LLM_UNSUPPORTED: 'flag',
    }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await model?.close();
});

it('the server reports generative mode', async () => {
  const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>;
  expect(health).toMatchObject({ mode: 'generative', llmModel: 'fabricated' });
});

it('flag mode: the chat marks the sentence its citation does not support, and only that one', async () => {
  const { page, errors, close } = await openPage(browser, server.url);
  await page.getByTestId('question-input').fill(TROOPS);
  await page.getByTestId('question-input').press('Enter');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="message-assistant"]')?.getAttribute('aria-busy') === 'false',
  );
  const message = page.getByTestId('message-assistant').first();
  const flagged = message.getByTestId('unverified');
  await expect.poll(() => flagged.count()).toBe(1);
  expect(await flagged.textContent()).toContain('450,000');
  expect(await flagged.getAttribute('title')).toMatch(/number 450000 is not in the cited passage/);
  expect(await message.getByTestId('answer-text').textContent()).toContain(MINSK);
  // The markers of both sentences open the cited passage.
  expect(await message.getByTestId('marker').count()).toBe(2);
  await page.screenshot({ path: `${SHOTS}/generative-flagged.png` });
  expect(errors).toEqual([]);
  await close();
});

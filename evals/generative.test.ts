import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../test/helpers.ts';
import { type ScriptedModel, startScriptedModel } from '../test/scripted-model.ts';
import { reader } from '../test/serve-scripted-model.ts';
import { formatGenerative, type GenerativeStats, supportedRate } from './generative.ts';

const runEval = (args: string[], env: Record<string, string>) =>
  run(['evals/run.ts', ...args], { INDEX_DIR: inject('seedsIndexDir'), ...env });

let model: ScriptedModel;
let dir: string;
let smallSet: string;

beforeAll(async () => {
  model = await startScriptedModel({}, reader);
  dir = await mkdtemp(path.join(tmpdir(), 'footnote-evals-llm-'));
  smallSet = path.join(dir, 'small.jsonl');
  const lines = (await readFile('evals/dev.jsonl', 'utf8')).split('\n').filter(Boolean);
  await writeFile(smallSet, `${lines.slice(0, 8).join('\n')}\n`);
});
afterAll(async () => {
  await model?.close();
});

describe('npm run eval -- --llm', () => {
  it('answers with the model and reports the supported-sentence rate', async () => {
    const out = path.join(dir, 'out');
    const r = await runEval(['--llm', '--set', smallSet, '--out', out], {
      LLM_BASE_URL: model.baseURL,
      LLM_MODEL: 'reader',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Supported-sentence rate \(model sentences its citations support\) \| \d+\.\d% \(\d+\/\d+\)/);
    const stats = JSON.parse(await readFile(path.join(out, 'generative.json'), 'utf8')) as GenerativeStats & {
      supportedRate: number;
    };
    expect(stats).toMatchObject({ model: 'reader', unsupportedPolicy: 'drop', questions: 8 });
    expect(stats.sentences).toBeGreaterThan(stats.supported);
    expect(stats.supported).toBeGreaterThan(0);
    expect(model.requests.length).toBe(8);
    expect(await readFile(path.join(out, 'report.md'), 'utf8')).toContain('## Generative answers (reader');
    // Every citation of a generative answer is still verbatim.
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as {
      summary: { verbatimIntegrity: { value: number } };
    };
    expect(report.summary.verbatimIntegrity.value).toBe(1);
  });

  it('--llm without a model configured is a usage error', async () => {
    const r = await runEval(['--llm', '--set', smallSet, '--out', path.join(dir, 'none')], { LLM_BASE_URL: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--llm needs LLM_BASE_URL and LLM_MODEL/);
  });
});

it('formats the rate', () => {
  const s: GenerativeStats = {
    model: 'm',
    unsupportedPolicy: 'drop',
    questions: 4,
    generative: 3,
    fallbacks: { llm_timeout: 1 },
    sentences: 8,
    supported: 6,
    shown: 6,
  };
  expect(supportedRate(s)).toBe(0.75);
  expect(formatGenerative(s)).toContain('| 75.0% (6/8) |');
  expect(formatGenerative(s)).toContain('| Fell back to extractive | 1 (llm_timeout 1) |');
});

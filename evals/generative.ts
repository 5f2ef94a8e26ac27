import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Engine, GenerativeAnswerer, LlmConfig } from '../server/qa/index.ts';
import type { AskResponse, Target } from './contract.ts';

/**
 * `npm run eval -- --llm` (or LLM_BASE_URL and LLM_MODEL set): the questions are answered by the language
 * model through the same verified path as the server, and the run also reports how many of the model's
 * sentences its citations supported, how many answers stayed generative, and why the others fell back.
 */

export interface GenerativeStats {
  model: string;
  unsupportedPolicy: string;
  questions: number;
  /** Answers written by the model (the rest fell back to the extractive answer). */
  generative: number;
  fallbacks: Record<string, number>;
  /** Sentences the model wrote, and those verified against their citations. */
  sentences: number;
  supported: number;
  /** Sentences shown to the reader (in flag mode, unsupported ones included). */
  shown: number;
}

export const supportedRate = (s: GenerativeStats): number | null => (s.sentences ? s.supported / s.sentences : null);

/** The generative target, or null when no model is asked for (--llm absent and LLM_BASE_URL unset). */
export async function generativeTarget(
  base: Target,
  opts: {
    llm: boolean;
    url: string | null;
    indexDir: string;
    modelsDir?: string;
    repoRoot: string;
    env: NodeJS.ProcessEnv;
  },
): Promise<{ target: Target; stats: GenerativeStats } | null> {
  if (!opts.llm && !opts.env.LLM_BASE_URL) return null;
  if (opts.url !== null) {
    if (!opts.llm) return null;
    throw new Error('--llm runs in-process; a server over --url answers with its own LLM_* settings');
  }
  // Loaded at run time, as the in-process target does, so the evals don't need the server to type-check.
  const core = (await import(pathToFileURL(path.join(opts.repoRoot, 'server', 'qa', 'index.ts')).href)) as {
    llmConfigFromEnv: (env: NodeJS.ProcessEnv) => LlmConfig | null;
    createGenerativeAnswerer: (c: LlmConfig) => Promise<GenerativeAnswerer>;
    loadEngine: (o: { indexDir: string; modelsDir?: string }) => Promise<Engine>;
  };
  const { llmConfigFromEnv, createGenerativeAnswerer, loadEngine } = core;
  const config = llmConfigFromEnv(opts.env);
  if (!config) throw new Error('--llm needs LLM_BASE_URL and LLM_MODEL (see README "Bring your own language model")');
  const engine = await loadEngine({
    indexDir: opts.indexDir,
    ...(opts.modelsDir === undefined ? {} : { modelsDir: opts.modelsDir }),
  });
  const answerer = await createGenerativeAnswerer(config);
  const stats: GenerativeStats = {
    model: config.model,
    unsupportedPolicy: config.unsupported,
    questions: 0,
    generative: 0,
    fallbacks: {},
    sentences: 0,
    supported: 0,
    shown: 0,
  };
  const target: Target = {
    description: `${base.description}, answers written by ${config.model} and verified (LLM_UNSUPPORTED=${config.unsupported})`,
    async ask(req) {
      const history = req.history?.filter((m) => m.role === 'user' || m.role === 'assistant') as
        | Array<{ role: 'user' | 'assistant'; content: string }>
        | undefined;
      const outcome = await answerer.answer(engine, { question: req.question, ...(history ? { history } : {}) });
      const r = outcome.response;
      stats.questions++;
      stats.sentences += outcome.checked.length;
      stats.supported += outcome.checked.filter((c) => c.supported).length;
      if (r.mode === 'generative') {
        stats.generative++;
        stats.shown += r.sentences?.length ?? 0;
      }
      if (r.fallbackReason) stats.fallbacks[r.fallbackReason] = (stats.fallbacks[r.fallbackReason] ?? 0) + 1;
      return r as AskResponse;
    },
    documentText: (c) => base.documentText(c),
    ...(base.retrieve ? { retrieve: base.retrieve.bind(base) } : {}),
    close: () => base.close(),
  };
  return { target, stats };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export function formatGenerative(s: GenerativeStats): string {
  const fallbacks = Object.entries(s.fallbacks)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `## Generative answers (${s.model}, LLM_UNSUPPORTED=${s.unsupportedPolicy})`,
    '',
    '| metric | value |',
    '| --- | --- |',
    `| Supported-sentence rate (model sentences its citations support) | ${pct(supportedRate(s))} (${s.supported}/${s.sentences}) |`,
    `| Answers written by the model | ${pct(s.questions ? s.generative / s.questions : null)} (${s.generative}/${s.questions}) |`,
    `| Sentences shown | ${s.shown} |`,
    `| Fell back to extractive | ${s.questions - s.generative}${fallbacks ? ` (${fallbacks})` : ''} |`,
    '',
  ].join('\n');
}

/** Writes generative.json, appends the table to report.md, and returns it for the console. */
export async function reportGenerative(outDir: string, stats: GenerativeStats): Promise<string> {
  const table = formatGenerative(stats);
  await writeFile(path.join(outDir, 'generative.json'), `${JSON.stringify({ ...stats, supportedRate: supportedRate(stats) }, null, 2)}\n`);
  await appendFile(path.join(outDir, 'report.md'), `\n${table}`);
  return `\n${table}`;
}

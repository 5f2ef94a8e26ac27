import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { barChartSvg } from './chart-svg.ts';
import { type CliOptions, missedThresholds, parseCli, USAGE, UsageError } from './cli.ts';
import { formatComparison } from './compare.ts';
import { ensureCorpusIndex } from './corpora.ts';
import { writeFeedbackDraft } from './from-feedback.ts';
import { generativeTarget, reportGenerative } from './generative.ts';
import { type AskResponse, RETRIEVAL_MODES, type RetrievalMode, type Target } from './contract.ts';
import {
  firstRelevantRank,
  type GoldEvidence,
  locateEvidence,
  type QuestionRun,
  RECALL_KS,
  summarizeRetrieval,
} from './metrics.ts';
import { startProgress } from './progress.ts';
import {
  buildReport,
  type ComparableReport,
  ComparableReportSchema,
  headlineBars,
  type Report,
  type RetrievalRanks,
  type RetrievalSection,
} from './report.ts';
import { renderMarkdown } from './report-md.ts';
import { renderConsoleSummary } from './report-text.ts';
import { parseQuestionSet, type Question } from './schema.ts';
import { readSourceFile } from './sources.ts';
import { httpTarget, inProcessTarget } from './targets.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RETRIEVAL_K = Math.max(...RECALL_KS);
const CHART_FILE = 'metrics.svg';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function locateGold(questions: readonly Question[], docsDir?: string): Promise<Map<string, GoldEvidence[]>> {
  const gold = new Map<string, GoldEvidence[]>();
  for (const q of questions) {
    const located = await Promise.all(
      q.evidence.map(async (e) => {
        const g = locateEvidence(await readSourceFile(e.file, REPO_ROOT, docsDir), e);
        if (g === null) throw new Error(`${q.id}: evidence quote not found in ${e.file}: "${e.quote}"`);
        return g;
      }),
    );
    gold.set(q.id, located);
  }
  return gold;
}

async function fetchDocuments(
  target: Target,
  response: AskResponse | undefined,
): Promise<Map<string, string>> {
  const documents = new Map<string, string>();
  for (const c of response?.citations ?? []) {
    if (documents.has(c.docId)) continue;
    try {
      documents.set(c.docId, await target.documentText(c));
    } catch {
      // Left out on purpose: the verbatim check then reports "source document unavailable".
    }
  }
  return documents;
}

async function askAll(target: Target, questions: readonly Question[], gold: Map<string, GoldEvidence[]>) {
  const progress = startProgress('ask', questions.length);
  const runs: QuestionRun[] = [];
  for (const question of questions) {
    let response: AskResponse | undefined;
    let error: string | undefined;
    const started = performance.now();
    try {
      response = await target.ask({
        question: question.question,
        ...(question.history ? { history: question.history } : {}),
        debug: true,
      });
    } catch (err) {
      error = message(err);
    }
    const latencyMs = performance.now() - started;
    const documents = await fetchDocuments(target, response);
    runs.push({ question, gold: gold.get(question.id) ?? [], response, error, latencyMs, documents });
    const status = error !== undefined ? 'error' : response?.abstained ? 'abstained' : 'answered';
    progress.tick(`${question.id} ${status} ${Math.round(latencyMs)}ms`);
  }
  progress.done();
  return runs;
}

/** Ranks of the first gold passage per mode; a mode that throws is reported once and skipped. */
async function retrieveAll(
  retrieve: NonNullable<Target['retrieve']>,
  questions: readonly Question[],
  gold: Map<string, GoldEvidence[]>,
): Promise<{ section: RetrievalSection; ranks: RetrievalRanks }> {
  const answerable = questions.filter((q) => q.answerable);
  const section: RetrievalSection = { note: null, modes: {}, errors: {} };
  const ranks = new Map<string, Partial<Record<RetrievalMode, number | null>>>(
    answerable.map((q) => [q.id, {}]),
  );
  for (const mode of RETRIEVAL_MODES) {
    const progress = startProgress(`retrieve ${mode}`, answerable.length);
    const modeRanks: (number | null)[] = [];
    try {
      for (const q of answerable) {
        const passages = await retrieve(q.question, {
          mode,
          k: RETRIEVAL_K,
          ...(q.history ? { history: q.history } : {}),
        });
        const rank = firstRelevantRank(passages, gold.get(q.id) ?? []);
        modeRanks.push(rank);
        const perQuestion = ranks.get(q.id);
        if (perQuestion) perQuestion[mode] = rank;
        progress.tick(`${q.id} rank ${rank ?? '-'}`);
      }
      section.modes[mode] = summarizeRetrieval(modeRanks);
    } catch (err) {
      section.errors[mode] = message(err);
    } finally {
      progress.done();
    }
  }
  return { section, ranks };
}

async function readBaseline(file: string): Promise<ComparableReport> {
  const parsed = ComparableReportSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not an eval report: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function writeOutputs(outDir: string, report: Report): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(path.join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`),
    writeFile(path.join(outDir, 'report.md'), renderMarkdown(report, CHART_FILE)),
    writeFile(
      path.join(outDir, CHART_FILE),
      barChartSvg('Footnote eval: headline metrics', headlineBars(report)),
    ),
  ]);
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (opts.fromFeedback !== null) {
    try {
      process.stdout.write(`${await writeFeedbackDraft(opts.fromFeedback, opts.out)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`--from-feedback failed: ${message(err)}\n`);
      return 2;
    }
  }

  let questions: Question[];
  let gold: Map<string, GoldEvidence[]>;
  let baseline: ComparableReport | null = null;
  let target: Target;
  let generative: Awaited<ReturnType<typeof generativeTarget>> = null;
  try {
    questions = parseQuestionSet(await readFile(opts.set, 'utf8'));
    gold = await locateGold(questions, opts.corpus?.dir);
    if (opts.compare !== null) {
      baseline = await readBaseline(opts.compare);
    }
    if (opts.corpus !== null && opts.url === null) ensureCorpusIndex(opts.corpus, { show: true });
    target =
      opts.url !== null
        ? httpTarget(opts.url)
        : await inProcessTarget({
            indexDir: opts.indexDir,
            repoRoot: REPO_ROOT,
            ...(opts.modelsDir === null ? {} : { modelsDir: opts.modelsDir }),
          });
    generative = await generativeTarget(target, {
      llm: opts.llm,
      url: opts.url,
      indexDir: opts.indexDir,
      repoRoot: REPO_ROOT,
      env: process.env,
      ...(opts.modelsDir === null ? {} : { modelsDir: opts.modelsDir }),
    });
    if (generative) target = generative.target;
  } catch (err) {
    process.stderr.write(`eval setup failed: ${message(err)}\n`);
    return 2;
  }

  let report: Report;
  try {
    const runs = await askAll(target, questions, gold);
    const retrieve = target.retrieve?.bind(target);
    const retrieval = retrieve ? await retrieveAll(retrieve, questions, gold) : null;
    const mode: Report['mode'] = opts.url === null ? 'in-process' : 'http';
    const meta = {
      createdAt: new Date().toISOString(),
      mode,
      target: target.description,
      questionSet: opts.set,
    };
    report = buildReport(meta, runs, retrieval);
  } finally {
    await target.close();
  }

  await writeOutputs(opts.out, report);
  process.stdout.write(
    `${renderConsoleSummary(report)}\n\nWrote ${path.join(opts.out, 'report.{json,md}')} and ${CHART_FILE}\n`,
  );
  if (generative) process.stdout.write(await reportGenerative(opts.out, generative.stats));
  if (baseline !== null) process.stdout.write(`\n${formatComparison(baseline, report)}\n`);

  const missed = missedThresholds(report.summary, report.latency, opts.gates, opts.maxP95Ms);
  if (missed.length > 0) {
    process.stderr.write(`\nThresholds missed:\n${missed.map((m) => `  - ${m}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

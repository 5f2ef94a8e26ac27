import { z } from 'zod';
import type { Bar } from './chart-svg.ts';
import { RETRIEVAL_MODES, type RetrievalMode } from './contract.ts';
import {
  coversAny,
  type LatencySummary,
  type QuestionRun,
  type QuestionScore,
  type Ratio,
  type RetrievalSummary,
  type Summary,
  scoreQuestion,
  summarize,
  summarizeByTag,
  summarizeLatency,
  type TagSummary,
} from './metrics.ts';
import type { ChatMessage, Evidence, Tag } from './schema.ts';

export const REPORT_VERSION = 1;

export type RatioKey = { [K in keyof Summary]: Summary[K] extends Ratio ? K : never }[keyof Summary];

export interface HeadlineMetric {
  key: RatioKey;
  label: string;
  higherIsBetter: boolean;
}

/** The metrics shown in the summary table and chart, compared across runs and gated by thresholds. */
export const HEADLINE: readonly HeadlineMetric[] = [
  { key: 'answerAccuracy', label: 'Answer accuracy', higherIsBetter: true },
  { key: 'citationRecall', label: 'Citation recall', higherIsBetter: true },
  { key: 'citationPrecision', label: 'Citation precision', higherIsBetter: true },
  { key: 'quotePrecision', label: 'Quote precision', higherIsBetter: true },
  { key: 'verbatimIntegrity', label: 'Verbatim integrity', higherIsBetter: true },
  { key: 'abstention', label: 'Abstention (unanswerable)', higherIsBetter: true },
  { key: 'falseAbstention', label: 'False abstention', higherIsBetter: false },
  { key: 'multiDocCoverage', label: 'Multi-doc coverage', higherIsBetter: true },
];

export interface QuestionDetail extends QuestionScore {
  question: string;
  history: ChatMessage[];
  expectedAnswers: string[];
  expectedEvidence: Evidence[];
  answer: string | null;
  /** 1-based rank of the first gold passage per retrieval mode (null = not in the top k); in-process only. */
  retrievalRanks: Partial<Record<RetrievalMode, number | null>>;
  /** The scorer's first candidate, and the first one holding gold evidence (with its 1-based rank). */
  chosenCandidate?: { text: string; probability: number; source: string };
  goldCandidate?: { text: string; probability: number; rank: number } | null;
}

export interface RetrievalSection {
  /** Why retrieval metrics are missing, when they are. */
  note: string | null;
  modes: Partial<Record<RetrievalMode, RetrievalSummary>>;
  errors: Partial<Record<RetrievalMode, string>>;
}

export interface Report {
  version: typeof REPORT_VERSION;
  createdAt: string;
  mode: 'in-process' | 'http';
  target: string;
  questionSet: string;
  summary: Summary;
  latency: LatencySummary;
  retrieval: RetrievalSection;
  byTag: Partial<Record<Tag, TagSummary>>;
  questions: QuestionDetail[];
}

/** Per question and mode: 1-based rank of the first gold passage, null when it was not retrieved. */
export type RetrievalRanks = ReadonlyMap<string, Partial<Record<RetrievalMode, number | null>>>;

const HTTP_RETRIEVAL_NOTE =
  'Retrieval metrics are only available in-process: the HTTP API exposes no retrieval endpoint.';

export interface ReportMeta {
  createdAt: string;
  mode: Report['mode'];
  target: string;
  questionSet: string;
}

export function buildReport(
  meta: ReportMeta,
  runs: readonly QuestionRun[],
  retrieval: { section: RetrievalSection; ranks: RetrievalRanks } | null,
): Report {
  const scored = runs.map((run) => ({ run, score: scoreQuestion(run) }));
  const scores = scored.map((x) => x.score);
  return {
    version: REPORT_VERSION,
    ...meta,
    summary: summarize(scores),
    latency: summarizeLatency(scores),
    retrieval: retrieval?.section ?? { note: HTTP_RETRIEVAL_NOTE, modes: {}, errors: {} },
    byTag: summarizeByTag(scores),
    questions: scored.map(({ run, score }) => ({
      ...score,
      question: run.question.question,
      history: run.question.history ?? [],
      expectedAnswers: run.question.answers,
      expectedEvidence: run.question.evidence,
      answer: run.response?.answer ?? null,
      retrievalRanks: retrieval?.ranks.get(run.question.id) ?? {},
      ...candidateDetail(run),
    })),
  };
}

/** Headline ratios plus recall@5 per retrieval mode that ran. */
export function headlineBars(r: Report): Bar[] {
  const bars: Bar[] = HEADLINE.map((m) => ({
    label: m.label,
    value: r.summary[m.key].value,
    higherIsBetter: m.higherIsBetter,
  }));
  for (const mode of RETRIEVAL_MODES) {
    const m = r.retrieval.modes[mode];
    if (m !== undefined)
      bars.push({ label: `Retrieval recall@5 (${mode})`, value: m.recallAt[5].value, higherIsBetter: true });
  }
  return bars;
}

export const isFailed = (q: QuestionScore): boolean => q.failures.length > 0;

const RatioSchema = z.object({ num: z.number(), den: z.number(), value: z.number().nullable() });
const nullableNumber = z.number().nullable();

/** Just what `--compare` reads; the rest of an older report may differ freely. */
export const ComparableReportSchema = z.looseObject({
  version: z.literal(REPORT_VERSION),
  createdAt: z.string(),
  target: z.string(),
  summary: z.looseObject(Object.fromEntries(HEADLINE.map((m) => [m.key, RatioSchema]))),
  latency: z.object({
    p50Ms: nullableNumber,
    p95Ms: nullableNumber,
    engineP50Ms: nullableNumber,
    engineP95Ms: nullableNumber,
  }),
  retrieval: z.looseObject({
    modes: z.partialRecord(
      z.enum(RETRIEVAL_MODES),
      z.object({
        questions: z.number(),
        recallAt: z.record(z.string(), RatioSchema),
        mrr: nullableNumber,
      }),
    ),
  }),
});
export type ComparableReport = z.infer<typeof ComparableReportSchema>;

/** The chosen candidate beside the gold one, when the target returned its candidates (`debug`). */
function candidateDetail(run: QuestionRun): Pick<QuestionDetail, 'chosenCandidate' | 'goldCandidate'> {
  const candidates = run.response?.debug?.candidates;
  const chosen = candidates?.[0];
  if (!candidates || !chosen) return {};
  const at = candidates.findIndex((c) => coversAny({ ...c }, run.gold));
  const gold = candidates[at];
  return {
    chosenCandidate: { text: chosen.text, probability: chosen.probability, source: chosen.source },
    goldCandidate: gold ? { text: gold.text, probability: gold.probability, rank: at + 1 } : null,
  };
}

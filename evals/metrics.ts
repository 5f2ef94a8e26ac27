import type { AskResponse, Citation, PassageRef } from './contract.ts';
import type { Evidence, Question, Tag } from './schema.ts';

/** A gold evidence quote, located in its file (offsets are UTF-16 indices, like `String.prototype.slice`). */
export interface GoldEvidence extends Evidence {
  start: number;
  end: number;
}

export interface Ratio {
  num: number;
  den: number;
  /** null when nothing was measured (den = 0). */
  value: number | null;
}

export function ratio(num: number, den: number): Ratio {
  return { num, den, value: den === 0 ? null : num / den };
}

/** Lower-case, curly quotes to straight, whitespace collapsed: an answer matches whatever quoting the article used. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export function containsAnswer(text: string, answers: readonly string[]): boolean {
  const haystack = normalizeText(text);
  return answers.some((answer) => haystack.includes(normalizeText(answer)));
}

function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/** Same file, tolerating `./` prefixes and an absolute path on one side (the index may store either). */
export function sameSource(a: string, b: string): boolean {
  const x = normalizePath(a);
  const y = normalizePath(b);
  return x === y || x.endsWith(`/${y}`) || y.endsWith(`/${x}`);
}

/** A quote mark copied from a rendered page may be straight where the file's is curly, or the reverse. */
const QUOTE_MARKS: Record<string, string> = {
  "'": "['\u2018\u2019]",
  '\u2018': "['\u2018\u2019]",
  '\u2019': "['\u2018\u2019]",
  '"': '["\u201C\u201D]',
  '\u201C': '["\u201C\u201D]',
  '\u201D': '["\u201C\u201D]',
  // A PDF's line-end hyphen is followed by an invisible mark (ingest/pdf.ts HYPHEN_BREAK).
  '-': '-\u200B?',
};

/**
 * Locates a quote in its file (the dataset test guarantees ours occur exactly once): exactly, else with any
 * run of whitespace for any other (the file wraps a paragraph where the page it was copied from did not)
 * and either kind of quote mark. The text found replaces the quote, so later checks compare like with like.
 */
export function locateEvidence(fileText: string, evidence: Evidence): GoldEvidence | null {
  const start = fileText.indexOf(evidence.quote);
  if (start >= 0) return { ...evidence, start, end: start + evidence.quote.length };
  const words = evidence.quote.trim().split(/\s+/);
  const pattern = words
    .map((w) => [...w].map((c) => QUOTE_MARKS[c] ?? c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(''))
    .join('[\\s\u200B]+');
  const found = new RegExp(pattern, 'u').exec(fileText);
  return found ? { ...evidence, quote: found[0], start: found.index, end: found.index + found[0].length } : null;
}

/**
 * A passage contains gold evidence when it comes from the evidence file and either its text includes the quote
 * or its [start, end) span overlaps at least half of the quote's span (chunk borders may cut a long quote).
 */
export function coversEvidence(passage: PassageRef, gold: GoldEvidence): boolean {
  if (!sameSource(passage.source, gold.file)) return false;
  if (passage.text.includes(gold.quote)) return true;
  // A quote copied from Markdown may start with the line's markup ("#### next", "- `dot` …", "| `dot` |"),
  // which an answer quoting the heading or item itself leaves out: it is not evidence.
  const start = gold.start + (MARKUP.exec(gold.quote)?.[0].length ?? 0);
  const overlap = Math.min(passage.end, gold.end) - Math.max(passage.start, start);
  return overlap * 2 >= gold.end - start;
}
const MARKUP = /^(?:#{1,6}[ \t]+|[-*+][ \t]+|\d+\.[ \t]+|>[ \t]*|\|[ \t]*)+/;

export function coversAny(passage: PassageRef, gold: readonly GoldEvidence[]): boolean {
  return gold.some((g) => coversEvidence(passage, g));
}

/** null when the citation is byte-for-byte faithful to its source, else the reason it is not. */
export function verbatimError(citation: Citation, documentText: string | undefined): string | null {
  if (documentText === undefined) return 'source document unavailable';
  const { start, end } = citation;
  if (start < 0 || end < start || end > documentText.length) return `offsets [${start}, ${end}) out of range`;
  if (documentText.slice(start, end) !== citation.text) return 'text differs from source slice(start, end)';
  if (citation.quote === '') return 'empty quote';
  if (!citation.text.includes(citation.quote)) return 'quote is not a substring of text';
  return null;
}

export interface CitationScore {
  marker: number;
  docId: string;
  source: string;
  start: number;
  end: number;
  quote: string;
  /** The cited passage contains gold evidence for this question. */
  supports: boolean;
  quoteHasAnswer: boolean;
  verbatimError: string | null;
}

export interface QuestionScore {
  id: string;
  answerable: boolean;
  tags: Tag[];
  error: string | null;
  abstained: boolean;
  /** null for unanswerable questions. */
  answerCorrect: boolean | null;
  citationHit: boolean | null;
  /** Only for `multi-doc` questions: the citations cover gold evidence from every evidence file. */
  multiDocCovered: boolean | null;
  citations: CitationScore[];
  latencyMs: number;
  engineTotalMs: number | null;
  failures: string[];
}

export interface QuestionRun {
  question: Question;
  gold: readonly GoldEvidence[];
  /** Absent when the call failed; `error` says why. */
  response?: AskResponse;
  error?: string;
  latencyMs: number;
  /** docId → full document text, fetched at the edge for the verbatim check. */
  documents: ReadonlyMap<string, string>;
}

function scoreCitation(c: Citation, run: QuestionRun): CitationScore {
  return {
    marker: c.marker,
    docId: c.docId,
    source: c.source,
    start: c.start,
    end: c.end,
    quote: c.quote,
    supports: coversAny(c, run.gold),
    quoteHasAnswer: containsAnswer(c.quote, run.question.answers),
    verbatimError: verbatimError(c, run.documents.get(c.docId)),
  };
}

function coversEveryFile(passages: readonly PassageRef[], gold: readonly GoldEvidence[]): boolean {
  const files = new Set(gold.map((g) => g.file));
  return [...files].every((file) => {
    const fileGold = gold.filter((g) => g.file === file);
    return passages.some((p) => coversAny(p, fileGold));
  });
}

export function scoreQuestion(run: QuestionRun): QuestionScore {
  const { question, response } = run;
  const abstained = response?.abstained ?? false;
  const answered = response !== undefined && !abstained;
  const citations = (response?.citations ?? []).map((c) => scoreCitation(c, run));
  const answerCorrect = question.answerable
    ? answered && containsAnswer(response.answer, question.answers)
    : null;
  const citationHit = question.answerable ? answered && citations.some((c) => c.supports) : null;
  const multiDocCovered = question.tags.includes('multi-doc')
    ? answered && coversEveryFile(response.citations, run.gold)
    : null;

  const failures: string[] = [];
  if (run.error !== undefined) failures.push(`error: ${run.error}`);
  if (question.answerable && abstained) failures.push('false abstention');
  if (answerCorrect === false && answered) failures.push('answer lacks every acceptable answer');
  if (citationHit === false && answered) failures.push('no citation contains gold evidence');
  if (multiDocCovered === false && answered)
    failures.push('citations miss gold evidence from one of the articles');
  if (!question.answerable && response !== undefined && !abstained)
    failures.push('answered an unanswerable question');
  for (const c of citations) {
    if (c.verbatimError !== null) failures.push(`citation [${c.marker}] not verbatim: ${c.verbatimError}`);
  }

  return {
    id: question.id,
    answerable: question.answerable,
    tags: question.tags,
    error: run.error ?? null,
    abstained,
    answerCorrect,
    citationHit,
    multiDocCovered,
    citations,
    latencyMs: run.latencyMs,
    engineTotalMs: response?.timings.totalMs ?? null,
    failures,
  };
}

export interface Summary {
  questions: number;
  answerable: number;
  unanswerable: number;
  errors: number;
  answerAccuracy: Ratio;
  citationRecall: Ratio;
  citationPrecision: Ratio;
  quotePrecision: Ratio;
  verbatimIntegrity: Ratio;
  abstention: Ratio;
  falseAbstention: Ratio;
  multiDocCoverage: Ratio;
}

const count = <T>(items: readonly T[], pred: (item: T) => boolean): number => items.filter(pred).length;

/** Citations that claim support: those of answerable questions the engine did not abstain on. */
function supportingCitations(scores: readonly QuestionScore[]): CitationScore[] {
  return scores.filter((s) => s.answerable && !s.abstained).flatMap((s) => s.citations);
}

export function summarize(scores: readonly QuestionScore[]): Summary {
  const answerable = scores.filter((s) => s.answerable);
  const unanswerable = scores.filter((s) => !s.answerable);
  const multiDoc = scores.filter((s) => s.multiDocCovered !== null);
  const claimed = supportingCitations(scores);
  const allCitations = scores.flatMap((s) => s.citations);
  return {
    questions: scores.length,
    answerable: answerable.length,
    unanswerable: unanswerable.length,
    errors: count(scores, (s) => s.error !== null),
    answerAccuracy: ratio(
      count(answerable, (s) => s.answerCorrect === true),
      answerable.length,
    ),
    citationRecall: ratio(
      count(answerable, (s) => s.citationHit === true),
      answerable.length,
    ),
    citationPrecision: ratio(
      count(claimed, (c) => c.supports),
      claimed.length,
    ),
    quotePrecision: ratio(
      count(claimed, (c) => c.quoteHasAnswer),
      claimed.length,
    ),
    verbatimIntegrity: ratio(
      count(allCitations, (c) => c.verbatimError === null),
      allCitations.length,
    ),
    abstention: ratio(
      count(unanswerable, (s) => s.abstained),
      unanswerable.length,
    ),
    falseAbstention: ratio(
      count(answerable, (s) => s.abstained),
      answerable.length,
    ),
    multiDocCoverage: ratio(
      count(multiDoc, (s) => s.multiDocCovered === true),
      multiDoc.length,
    ),
  };
}

export interface TagSummary {
  questions: number;
  answerAccuracy: Ratio;
  citationRecall: Ratio;
  abstention: Ratio;
}

export function summarizeByTag(scores: readonly QuestionScore[]): Partial<Record<Tag, TagSummary>> {
  const tags = [...new Set(scores.flatMap((s) => s.tags))].sort();
  return Object.fromEntries(
    tags.map((tag) => {
      const s = summarize(scores.filter((q) => q.tags.includes(tag)));
      const row: TagSummary = {
        questions: s.questions,
        answerAccuracy: s.answerAccuracy,
        citationRecall: s.citationRecall,
        abstention: s.abstention,
      };
      return [tag, row];
    }),
  );
}

/** Nearest-rank percentile: the smallest value with at least p% of the sample at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

export interface LatencySummary {
  /** Wall-clock time of the whole answer path as the runner sees it (HTTP round trip included). */
  p50Ms: number | null;
  p95Ms: number | null;
  /** The engine's own `timings.totalMs`. */
  engineP50Ms: number | null;
  engineP95Ms: number | null;
}

export function summarizeLatency(scores: readonly QuestionScore[]): LatencySummary {
  const wall = scores.filter((s) => s.error === null).map((s) => s.latencyMs);
  const engine = scores.flatMap((s) => (s.engineTotalMs === null ? [] : [s.engineTotalMs]));
  return {
    p50Ms: percentile(wall, 50),
    p95Ms: percentile(wall, 95),
    engineP50Ms: percentile(engine, 50),
    engineP95Ms: percentile(engine, 95),
  };
}

export const RECALL_KS = [1, 3, 5, 10] as const;
export type RecallK = (typeof RECALL_KS)[number];

/** 1-based rank of the first retrieved passage that contains gold evidence, or null when none does. */
export function firstRelevantRank(
  passages: readonly PassageRef[],
  gold: readonly GoldEvidence[],
): number | null {
  const index = passages.findIndex((p) => coversAny(p, gold));
  return index < 0 ? null : index + 1;
}

export interface RetrievalSummary {
  questions: number;
  recallAt: Record<`${RecallK}`, Ratio>;
  /** Mean reciprocal rank, cut off at the deepest k (a miss scores 0). */
  mrr: number | null;
}

export function summarizeRetrieval(ranks: readonly (number | null)[]): RetrievalSummary {
  const maxK = Math.max(...RECALL_KS);
  const within = (k: number) =>
    ratio(
      count(ranks, (r) => r !== null && r <= k),
      ranks.length,
    );
  const reciprocal = ranks.map((r) => (r !== null && r <= maxK ? 1 / r : 0));
  return {
    questions: ranks.length,
    recallAt: { '1': within(1), '3': within(3), '5': within(5), '10': within(10) },
    mrr: ranks.length === 0 ? null : reciprocal.reduce((a, b) => a + b, 0) / ranks.length,
  };
}

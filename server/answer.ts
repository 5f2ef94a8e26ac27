import type { DocumentRecord } from '../ingest/types.ts';
import { hasAnswerType } from './answer-types.ts';
import type { AnalysedQuestion } from './query.ts';
import type { ExpandedTerm, Retrieved } from './retrieve.ts';
import { terms as termsOf } from './text.ts';

export interface Citation {
  marker: number;
  docId: string;
  source: string;
  title: string;
  start: number;
  end: number;
  text: string;
  quote: string;
  score: number;
}

export interface ComposedAnswer {
  answer: string;
  abstained: boolean;
  citations: Citation[];
  /** Why the answer abstained (for logs and the eval report), null when it answered. */
  abstainReason: string | null;
}

interface Candidate {
  hit: Retrieved;
  rank: number;
  start: number;
  end: number;
  text: string;
  terms: Set<string>;
  coverage: number;
  typed: boolean;
  score: number;
}

/** Tuned on the dev question set (evals/dev.jsonl); see evals/README.md for the effect of each. */
export const ANSWER_TUNING = {
  /** Passages whose sentences are considered. */
  passagesRead: 8,
  /** Minimum share (IDF-weighted) of the question's key terms the chosen passage must contain. */
  minSupport: 0.6,
  /** A further sentence joins the answer if it scores at least this share of the best one. */
  companionRatio: 0.8,
  maxSentences: 3,
};

const ABSTAIN_TEXT = "The articles don't say.";

function weightOf(t: ExpandedTerm): number {
  return t.weight * t.idf;
}

/** IDF-weighted share of the question's terms present in a set of (stemmed) terms. */
function coverage(terms: ExpandedTerm[], present: Set<string>): number {
  const total = terms.reduce((s, t) => s + weightOf(t), 0);
  if (total === 0) return 0;
  const hit = terms.reduce((s, t) => s + (t.matches.some((m) => present.has(m)) ? weightOf(t) : 0), 0);
  return hit / total;
}

function candidates(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
): Candidate[] {
  const out: Candidate[] = [];
  retrieved.slice(0, ANSWER_TUNING.passagesRead).forEach((hit, rank) => {
    const doc = docs.get(hit.passage.docId);
    if (!doc) return;
    for (const [start, end] of hit.passage.sentences) {
      const text = doc.text.slice(start, end);
      const sentenceTerms = new Set(termsOf(text));
      const cov = coverage(terms, sentenceTerms);
      const typed = hasAnswerType(q.type, text);
      const prior = 1 / (1 + rank);
      out.push({
        hit,
        rank,
        start,
        end,
        text,
        terms: sentenceTerms,
        coverage: cov,
        typed,
        score: 0.6 * cov + 0.15 * (typed ? 1 : 0) + 0.15 * prior + 0.1 * Math.max(0, hit.similarity),
      });
    }
  });
  return out.sort((a, b) => b.score - a.score || a.rank - b.rank || a.start - b.start);
}

/** Key terms of the question that the passage doesn't contain, most important first. */
function unsupportedTerms(terms: ExpandedTerm[], passageTerms: Set<string>): ExpandedTerm[] {
  return terms
    .filter((t) => t.weight === 1 && !t.matches.some((m) => passageTerms.has(m)))
    .sort((a, b) => b.idf - a.idf);
}

function abstain(
  reason: string,
  closest: Retrieved[],
  docs: Map<string, DocumentRecord>,
  missing: ExpandedTerm[],
  maxCitations: number,
): ComposedAnswer {
  const unknown = missing.filter((t) => t.matches.length === 0).map((t) => `“${t.word}”`);
  const answer = unknown.length
    ? `The articles don't say: none of them mentions ${unknown.slice(0, 3).join(' or ')}.`
    : ABSTAIN_TEXT;
  return {
    answer,
    abstained: true,
    citations: closest
      .slice(0, Math.min(3, maxCitations))
      .map((hit, i) =>
        toCitation(
          hit,
          i + 1,
          hit.passage.sentences[0] ?? [hit.passage.start, hit.passage.end],
          docs,
          hit.score,
        ),
      ),
    abstainReason: reason,
  };
}

function toCitation(
  hit: Retrieved,
  marker: number,
  [qs, qe]: [number, number],
  docs: Map<string, DocumentRecord>,
  score: number,
): Citation {
  const doc = docs.get(hit.passage.docId) as DocumentRecord;
  const p = hit.passage;
  return {
    marker,
    docId: p.docId,
    source: doc.source,
    title: doc.title,
    start: p.start,
    end: p.end,
    text: p.text,
    quote: p.text.slice(qs - p.start, qe - p.start),
    score: Math.round(score * 1000) / 1000,
  };
}

/** Whitespace inside a quoted sentence is layout, not content: the answer reads it as one line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Composes an extractive answer: the sentences that best answer the question, quoted verbatim, each
 * followed by the footnote marker of the passage it comes from. Abstains when the best passage does not
 * contain the question's key terms (or the kind of answer asked for), rather than guess.
 */
export function composeAnswer(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
  maxCitations: number,
): ComposedAnswer {
  const own = terms.filter((t) => t.weight === 1);
  if (retrieved.length === 0) return abstain('nothing retrieved', retrieved, docs, own, maxCitations);
  if (terms.length === 0) return abstain('no key terms in the question', retrieved, docs, own, maxCitations);
  const ranked = candidates(q, terms, retrieved, docs);
  const best = ranked.find((c) => c.typed) ?? ranked[0];
  if (!best) return abstain('no sentences', retrieved, docs, own, maxCitations);
  const passageTerms = new Set(termsOf(best.hit.passage.text));
  const support = coverage(terms, passageTerms);
  const missing = unsupportedTerms(terms, passageTerms);
  if (support < ANSWER_TUNING.minSupport) {
    return abstain(
      `support ${support.toFixed(2)} below ${ANSWER_TUNING.minSupport}`,
      retrieved,
      docs,
      missing,
      maxCitations,
    );
  }
  if (!best.typed)
    return abstain(`no sentence gives a ${q.type} answer`, retrieved, docs, missing, maxCitations);

  const chosen: Candidate[] = [best];
  const covered = new Set([...best.terms]);
  for (const c of ranked) {
    if (chosen.length >= Math.min(ANSWER_TUNING.maxSentences, maxCitations)) break;
    if (chosen.includes(c) || c.score < best.score * ANSWER_TUNING.companionRatio || !c.typed) continue;
    const addsTerms = [...c.terms].some((t) => !covered.has(t) && terms.some((qt) => qt.matches.includes(t)));
    const otherDoc = chosen.every((x) => x.hit.passage.docId !== c.hit.passage.docId);
    if (!addsTerms && !otherDoc) continue;
    chosen.push(c);
    for (const t of c.terms) covered.add(t);
  }

  // One citation per passage; its quote spans the chosen sentences of that passage.
  const citations: Citation[] = [];
  const byPassage = new Map<string, { cit: Citation; qs: number; qe: number }>();
  const parts: string[] = [];
  for (const c of chosen) {
    const p = c.hit.passage;
    let entry = byPassage.get(p.id);
    if (!entry) {
      entry = {
        cit: toCitation(c.hit, citations.length + 1, [c.start, c.end], docs, c.score),
        qs: c.start,
        qe: c.end,
      };
      citations.push(entry.cit);
      byPassage.set(p.id, entry);
    } else {
      entry.qs = Math.min(entry.qs, c.start);
      entry.qe = Math.max(entry.qe, c.end);
      entry.cit.quote = p.text.slice(entry.qs - p.start, entry.qe - p.start);
    }
    parts.push(`${oneLine(c.text)} [${entry.cit.marker}]`);
  }
  return { answer: parts.join(' '), abstained: false, citations, abstainReason: null };
}

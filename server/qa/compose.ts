import { pageRange } from '../../store/pages.ts';
import type { DocumentRecord, Passage } from '../../store/format.ts';
import type { AnalysedQuestion } from './question.ts';
import type { AnswerSpan, CandidateView, Citation } from './contract.ts';
import {
  type Bag,
  bagOf,
  type DocumentView,
  decisionFeatures,
  defaultMissing,
  detailMissing,
  fromUnnamedDocument,
  FEATURES,
  holds,
  unitFeatures,
  type WordSimilarity,
  withRelativeFeatures,
  fileNaming,
} from './features.ts';
import type { Scorer } from './scorer.ts';
import { exactAsked, nameAsked, personAsked, type Span } from './span.ts';
import { measureAsked, versionAsked } from './answer-kinds.ts';
import { wordNet } from './wordnet.ts';
import { headingLine, type Unit, unitsOf } from './units.ts';
import type { ExpandedTerm, Retrieved } from './retrieve.ts';
import { foldTypography, words } from '../../store/lexical/words.ts';

export type { Bag, WordSimilarity };
export { bagOf };

export interface ComposedAnswer {
  answer: string;
  abstained: boolean;
  citations: Citation[];
  answerSpan: AnswerSpan | null;
  /** Why the answer abstained (for logs and the eval report), null when it answered. */
  abstainReason: string | null;
  /** The answer scorer's probability for the chosen (or, on abstention, the best) candidate. */
  confidence: number;
  candidates: ScoredUnit[];
}

export interface ScoredUnit {
  unit: Unit;
  values: number[];
  span: Span | null;
  probability: number;
}

export const ANSWER_TUNING = {
  /** Passages whose sentences are considered. */
  passagesRead: 8,
  /** BM25's first passages are read even when the fusion ranks them lower: a rare exact term beats a paraphrase. */
  lexicalHeadRead: 3,
  /** For a two-part question, a unit from another document joins if it scores this share of the best. */
  multiPartRatio: 0.3,
  /** The sentence after the best one is quoted with it when the pair scores this share of its probability. */
  followerRatio: 0.8,
};

function toCitation(
  hit: Retrieved,
  marker: number,
  [qs, qe]: [number, number],
  docs: Map<string, DocumentRecord>,
  score: number,
): Citation {
  const doc = docs.get(hit.passage.docId) as DocumentRecord;
  const p = hit.passage;
  // A quote that reaches into a neighbouring passage widens the cited text to hold it (still a document slice).
  const start = Math.min(p.start, qs);
  const end = Math.max(p.end, qe);
  const text = start === p.start && end === p.end ? p.text : doc.text.slice(start, end);
  return {
    marker,
    docId: p.docId,
    source: doc.source,
    title: doc.title,
    start,
    end,
    text,
    quote: text.slice(qs - start, qe - start),
    score: Math.round(score * 1000) / 1000,
    ...pageRange(doc, qs, qe),
  };
}

/** Whitespace inside a quoted sentence is layout, not content: the answer reads it as one line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Scores every candidate unit of the passages read, best first. */
export function scoreUnits(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
  sim: WordSimilarity,
  documentView: (docId: string) => DocumentView,
  scorer: Scorer,
  maxIdf: number,
  passages: readonly Passage[] = [],
  /** File names (as words) of the documents whose file name holds a word of the question, read or not. */
  namedFiles: readonly Bag[] = [],
): ScoredUnit[] {
  // The previous answer's quotes (between its markers, without the short answer leading it).
  const previousQuotes = q.previousAnswer
    .split(/\[\d+\]/)
    .map((part, i) => foldTypography(oneLine(i === 0 ? part.replace(/^[^—]*? — /, '') : part)))
    .filter((part) => part.length >= 20);
  // The people the documents read for this question give a title or have speak ("Mr Lukashenko"): no place.
  const people = new Set(retrieved.flatMap((hit) => [...documentView(hit.passage.docId).people]));
  // Question words a document's file name holds ("Kennedy", "1962"): the question names its file. Any
  // document's, not only those read: "Does chalk work in the browser?" is not answered from debug's README
  // when nothing of chalk's was read.
  const { named: fileNamed, most: mostNamed } = fileNaming(
    terms,
    [...[...new Set(retrieved.map((hit) => hit.passage.docId))].map((id) => documentView(id).fileName), ...namedFiles],
    q.followed,
  );
  const out: ScoredUnit[] = [];
  for (const unit of unitsOf(retrieved, docs, retrieved.length, passages)) {
    // A follow-up is never answered with the answer it follows: not with a part of it, nor with it again
    // inside a longer quote.
    if (previousQuotes.length > 0) {
      const text = foldTypography(oneLine(unit.text));
      if (previousQuotes.some((quote) => quote.includes(text) || text.includes(quote))) continue;
    }
    const { values, span } = unitFeatures(q, terms, unit, documentView(unit.hit.passage.docId), sim, maxIdf, people, fileNamed, mostNamed);
    out.push({ unit, values, span, probability: 0 });
  }
  withRelativeFeatures(out.map((c) => c.values));
  for (const c of out) c.probability = scorer.probability(c.values);
  return out.sort(
    (a, b) => b.probability - a.probability || a.unit.rank - b.unit.rank || a.unit.start - b.unit.start,
  );
}

/** Abstains plainly; the closest passages come along as related reading, not as support. */
function abstain(
  reason: string,
  missing: ExpandedTerm[],
  closest: Retrieved[],
  docs: Map<string, DocumentRecord>,
  maxCitations: number,
  ranked: ScoredUnit[],
  /** What the best candidate lacks ("default", "date", "name"), when that is why. */
  detail?: string,
): ComposedAnswer {
  const names = missing.map((t) => `“${t.word}”`);
  const answer = detail
    ? `The documents don't say: the passages closest to the question give no ${detail}.`
    : names.length
    ? `The documents don't say: none of them mentions ${names.slice(0, 3).join(' or ')}.`
    : "The documents don't say: no passage answers this question.";
  // Related reading, each quote once: a README repeats a table (uuid's options under each function), and
  // three footnotes opening the same row tell the reader nothing the first doesn't.
  const citations: Citation[] = [];
  for (const hit of closest) {
    if (citations.length >= Math.min(3, maxCitations)) break;
    // The passage's first sentence that says something: not a Markdown heading ("## Sponsors") nor an HTML
    // anchor (`<a name="…"></a>`), which alone tell the reader nothing of what the passage says.
    const text = docs.get(hit.passage.docId)?.text ?? '';
    const says = ([s, e]: [number, number]) => !headingLine(text, s) && !/^(?:<[^>]*>\s*)+$/.test(text.slice(s, e));
    const first = hit.passage.sentences.find(says) ?? hit.passage.sentences[0] ?? [hit.passage.start, hit.passage.end];
    const citation = toCitation(hit, citations.length + 1, first, docs, hit.score);
    if (!citations.some((c) => oneLine(c.quote) === oneLine(citation.quote))) citations.push(citation);
  }
  return {
    answer,
    abstained: true,
    citations,
    answerSpan: null,
    abstainReason: reason,
    confidence: ranked[0]?.probability ?? 0,
    candidates: ranked,
  };
}

/**
 * Composes an extractive answer: the unit the trained scorer finds most likely to answer the question,
 * quoted verbatim with its footnote marker, led by the short answer when the question asks for one.
 * Abstains when no unit is likely enough.
 */
export function composeAnswer(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
  maxCitations: number,
  sim: WordSimilarity,
  documentView: (docId: string) => DocumentView,
  scorer: Scorer,
  maxIdf: number,
  passages: readonly Passage[] = [],
  namedFiles: readonly Bag[] = [],
): ComposedAnswer {
  if (retrieved.length === 0) return abstain('nothing retrieved', [], retrieved, docs, maxCitations, []);
  if (!terms.some((t) => t.own)) {
    return abstain('no key terms in the question', [], retrieved, docs, maxCitations, []);
  }
  const ranked = scoreUnits(q, terms, retrieved, docs, sim, documentView, scorer, maxIdf, passages, namedFiles);
  // Named when abstaining, as a fact ("none of them mentions …"), and only names and things: a verb or an
  // adjective the documents don't use ("supposed", "unlikely") says nothing about whether they answer.
  const wn = wordNet();
  const unmentioned = terms.filter(
    (t) =>
      t.own &&
      t.matches.length === 0 &&
      (t.entity || (wn.senses(t.word, 'noun').length > 0 && wn.senses(t.word, 'verb').length === 0 && wn.senses(t.word, 'adj').length === 0)),
  );
  // A name asked about that no document uses in any spelling ("Gettysburg", "Wagner"): whatever else a
  // sentence shares with the question, it is about something else. Not a word WordNet knows as a common
  // noun ("Guardsmen" capitalised mid-question), nor a number ("'96").
  // Nor one written beside a name they know ("Mykhailo Podolyak" where they write "Mikhail Podolyak"): a
  // first name spelled another way, not someone they never mention.
  const known = new Set(terms.filter((t) => t.entity && t.matches.length > 0).map((t) => t.word));
  const tokens = words(q.question);
  const besideKnown = (w: string) =>
    tokens.some((x, i) => x === w && (known.has(tokens[i - 1] ?? '') || known.has(tokens[i + 1] ?? '')));
  const unknownName = unmentioned.find(
    (t) => t.entity && !/^\d/.test(t.word) && t.related.length === 0 && !wn.commonNoun(t.word) && !besideKnown(t.word),
  );
  if (unknownName) {
    return abstain(`no document mentions ${unknownName.word}`, unmentioned, retrieved, docs, maxCitations, ranked);
  }
  const best = ranked[0];
  const confidence = scorer.confidence(
    decisionFeatures(
      ranked.map((c) => ({ probability: c.probability, values: c.values, docId: c.unit.hit.passage.docId, start: c.unit.start, end: c.unit.end })),
    ),
  );
  const missing = detailMissing(best?.values);
  const elsewhere = fromUnnamedDocument(best?.values);
  if (!best || confidence < scorer.threshold || missing || elsewhere) {
    const detail = missing ? (best && defaultMissing(q, best.unit) ? 'default' : askedDetail(q)) : undefined;
    const reason = detail
      ? `no ${detail} in the best candidate`
      : elsewhere
      ? 'the best candidate is not from the document the question names'
      : best
      ? `confidence ${confidence.toFixed(2)} < ${scorer.threshold.toFixed(2)}`
      : 'no candidate sentences';
    // "…give no answer" says nothing "no passage answers this question" doesn't.
    const said = detail === 'answer' ? undefined : detail;
    return { ...abstain(reason, unmentioned, retrieved, docs, maxCitations, ranked, said), confidence };
  }
  const chosen = [best];
  if (maxCitations > 1) {
    // Names the best unit's document lacks ("… Clinton in 1996 and Obama in 2014"): another document that has
    // them answers that part of the question.
    const entities = terms.filter((t) => t.own && t.entity);
    const has = (docId: string, t: ExpandedTerm) => holds(documentView(docId).whole, t);
    const bestDoc = best.unit.hit.passage.docId;
    const lacking = entities.filter((t) => !has(bestDoc, t));
    // A question naming two files ("Roosevelt in 1901 and Carter in 1979", "mammoth and semver"): the
    // other named file answers its part, before any other document.
    const names = (docId: string, t: ExpandedTerm) => holds(documentView(docId).fileName, t);
    const namedElsewhere = (docId: string) => terms.some((t) => t.own && names(docId, t) && !names(bestDoc, t));
    const likely = (c: ScoredUnit) =>
      c.unit.hit.passage.docId !== bestDoc && c.probability >= best.probability * ANSWER_TUNING.multiPartRatio;
    const other =
      ranked.find((c) => likely(c) && namedElsewhere(c.unit.hit.passage.docId)) ??
      ranked.find(
        (c) => likely(c) && (q.multiPart || (lacking.length > 0 && lacking.every((t) => has(c.unit.hit.passage.docId, t)))),
      );
    if (other) chosen.push(other);
  }

  // One citation per passage; its quote spans the chosen units of that passage.
  const citations: Citation[] = [];
  const parts: string[] = [];
  for (const c of chosen) {
    const { hit, start, end, text } = withFollower(withAntecedent(c, ranked), ranked).unit;
    citations.push(toCitation(hit, citations.length + 1, [start, end], docs, c.probability));
    parts.push(`${oneLine(text)} [${citations.length}]`);
  }
  const span = best.span;
  const answerSpan: AnswerSpan | null = span
    ? {
        text: span.text,
        docId: best.unit.hit.passage.docId,
        start: best.unit.start + span.start,
        end: best.unit.start + span.end,
      }
    : null;
  const answer = answerSpan ? `${answerSpan.text} — ${parts.join(' ')}` : parts.join(' ');
  return {
    answer,
    abstained: false,
    citations,
    answerSpan,
    abstainReason: null,
    confidence,
    candidates: ranked,
  };
}

/**
 * A sentence that leans on the one before it ("He warned…", "After that, …", "For that reason, …") is quoted
 * with it, so the quote says who "he" is or what the reason was: the same-paragraph pair ending with it, when
 * there is one. A sentence opening with a quotation ("Those who would give up…") is someone's words, not a
 * reference back.
 */
const NEEDS_ANTECEDENT =
  /^(?:he|she|they|it|his|her|their|its|this|that|these|those|however|but|then|meanwhile|moreover|therefore|thus|instead|after that|for (?:that|this|these|those) reasons?|as a result|in other words|consequently|hence|accordingly|nevertheless|nonetheless|otherwise|likewise|similarly|furthermore)\b/i;

/** Whether a sentence opens by referring back to the one before it. */
export function needsAntecedent(sentence: string): boolean {
  return NEEDS_ANTECEDENT.test(foldTypography(sentence));
}
function withAntecedent(c: ScoredUnit, ranked: ScoredUnit[]): ScoredUnit {
  const u = c.unit;
  if (u.pair || !needsAntecedent(u.text)) return c;
  return (
    ranked.find(
      (o) => o.unit.pair && o.unit.hit.passage.id === u.hit.passage.id && o.unit.end === u.end && o.unit.start < u.start,
    ) ?? c
  );
}

/**
 * The best unit, a single sentence, quoted with the sentence after it when that pair scores nearly as well
 * (`followerRatio` of its probability): a sentence often announces what the next one says ("I considered
 * rationing and higher gasoline taxes…" / "…both would produce unacceptable inequities."), and the ranker,
 * trained on labels both hold, had no reason to prefer the pair. On 13 dev and study sets: 627 → 645 right
 * answers, quotes holding the answer 75.7 → 77.8%, answers 232 → 268 characters on average.
 */
function withFollower(c: ScoredUnit, ranked: ScoredUnit[]): ScoredUnit {
  const u = c.unit;
  if (u.pair) return c;
  return (
    ranked.find(
      (o) =>
        o.unit.pair &&
        o.unit.hit.passage.docId === u.hit.passage.docId &&
        o.unit.start === u.start &&
        o.unit.end > u.end &&
        o.probability >= ANSWER_TUNING.followerRatio * c.probability,
    ) ?? c
  );
}

/** The top candidates with their features, for `debug: true` and the eval report. */
export function describeCandidates(
  ranked: ScoredUnit[],
  scorer: Scorer,
  docs: Map<string, DocumentRecord>,
  n = 5,
): CandidateView[] {
  return ranked.slice(0, n).map((c) => ({
    docId: c.unit.hit.passage.docId,
    source: docs.get(c.unit.hit.passage.docId)?.source ?? '',
    start: c.unit.start,
    end: c.unit.end,
    text: c.unit.text,
    probability: Math.round(c.probability * 1000) / 1000,
    features: Object.fromEntries(FEATURES.map((f, i) => [f, Math.round((c.values[i] ?? 0) * 1000) / 1000])),
    contributions: scorer.contributions(c.values),
  }));
}

/** What an abstention says the best candidate lacks: "no date", "no version", "no city"… */
function askedDetail(q: AnalysedQuestion): string {
  const exact = exactAsked(q.question) ? 'exact ' : '';
  if (q.type === 'when') return `${exact}date`;
  if (q.type === 'how-many' || measureAsked(q.question) !== undefined) return `${exact}amount`;
  if (versionAsked(q.question)) return 'version';
  if (nameAsked(q.question) || personAsked(q)) return 'name';
  return q.category.join(' ') || 'answer';
}

import type { DocumentRecord } from '../ingest/types.ts';
import { answerTypeRequired, hasAnswerType } from './answer-types.ts';
import type { AnalysedQuestion } from './query.ts';
import type { ExpandedTerm, Retrieved } from './retrieve.ts';
import { isStopword, stemWord, words } from './text.ts';

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

/** Similarity of two single words (cosine of their vectors); lets a paraphrase count as a match. */
export interface WordSimilarity {
  similarity(a: string, b: string): number;
}

/** Tuned on the dev question set (evals/dev.jsonl); `npm run eval` shows the effect of a change. */
export const ANSWER_TUNING = {
  /** Passages whose sentences are considered. */
  passagesRead: 8,
  /** Minimum share (IDF-weighted) of the question's key terms the chosen passage must contain. */
  minSupport: 0.7,
  /** Minimum score of the best sentence (key-term coverage, answer type, rank, similarity; 0..1). */
  minScore: 0.6,
  /** A question word no article uses must have a close paraphrase (this much credit) in the passage... */
  unknownMinCredit: 0.5,
  /** ...except for this many such words (questions are often phrased more loosely than articles). */
  unknownAllowed: 1,
  /** Word similarity below `softFloor` gives no credit, at `softCeiling` and above the full soft credit. */
  softFloor: 0.35,
  softCeiling: 0.7,
  /** A paraphrase never counts as much as the word itself. */
  softCredit: 0.8,
  /** Credit for a key term found in the article but not in the passage itself. */
  contextCredit: 0.6,
  /** A further sentence joins the answer if it scores at least this share of the best one. */
  companionRatio: 0.8,
  maxSentences: 3,
  /** For a two-part question, a sentence from another article joins if it scores this share of the best. */
  multiPartRatio: 0.7,
  /** Two sentences must cover clearly more of the question than one to be quoted together. */
  pairPenalty: 0.06,
};

/** The words of a span of text, as stems (for exact matching) and lower-cased surface forms (for similarity). */
export interface Bag {
  stems: Set<string>;
  surface: string[];
}

const bagMemo = new Map<string, Bag>();

/** Memoised: the same sentences come back for question after question. */
export function bagOf(text: string): Bag {
  let bag = bagMemo.get(text);
  if (!bag) {
    const surface = words(text).filter((w) => !isStopword(w));
    bag = { stems: new Set(surface.map(stemWord)), surface: [...new Set(surface)] };
    if (bagMemo.size > 100_000) bagMemo.clear();
    bagMemo.set(text, bag);
  }
  return bag;
}

/** One answer compares each question word with the same passage words many times over. */
function memoized(sim: WordSimilarity): WordSimilarity {
  const memo = new Map<string, number>();
  return {
    similarity(a, b) {
      const key = `${a}\u0000${b}`;
      let v = memo.get(key);
      if (v === undefined) {
        v = sim.similarity(a, b);
        memo.set(key, v);
      }
      return v;
    },
  };
}

function union(bags: Bag[]): Bag {
  if (bags.length === 1) return bags[0] as Bag;
  return {
    stems: new Set(bags.flatMap((b) => [...b.stems])),
    surface: [...new Set(bags.flatMap((b) => b.surface))],
  };
}

/** How well `bag` contains term `t`: 1 for the word or a spelling of it, partial for a close paraphrase. */
function credit(t: ExpandedTerm, bag: Bag, sim: WordSimilarity): number {
  if (t.matches.some((m) => bag.stems.has(m))) return 1;
  let best = 0;
  for (const w of bag.surface) best = Math.max(best, sim.similarity(t.word, w));
  const { softFloor, softCeiling, softCredit } = ANSWER_TUNING;
  return Math.min(1, Math.max(0, (best - softFloor) / (softCeiling - softFloor))) * softCredit;
}

/**
 * IDF-weighted share of the question's terms that `bag` contains. A term found only elsewhere in the same
 * article (`context`) counts partly: the passage may say "he" where the article names Lukashenko.
 */
export function coverage(terms: ExpandedTerm[], bag: Bag, sim: WordSimilarity, context?: Bag): number {
  let total = 0;
  let hit = 0;
  for (const t of terms) {
    const w = t.weight * t.idf;
    total += w;
    const inContext =
      context && t.matches.some((m) => context.stems.has(m)) ? ANSWER_TUNING.contextCredit : 0;
    hit += w * Math.max(credit(t, bag, sim), inContext);
  }
  return total === 0 ? 0 : hit / total;
}

interface Candidate {
  hit: Retrieved;
  rank: number;
  start: number;
  end: number;
  text: string;
  bag: Bag;
  typed: boolean;
  coverage: number;
  score: number;
}

function candidates(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
  sim: WordSimilarity,
): Candidate[] {
  const out: Candidate[] = [];
  retrieved.slice(0, ANSWER_TUNING.passagesRead).forEach((hit, rank) => {
    const doc = docs.get(hit.passage.docId);
    if (!doc) return;
    const sentences = hit.passage.sentences;
    // Each sentence, and each pair of neighbours: the answer often sits in the sentence after the one that
    // names the subject ("Ms Liubakova added: ..." / "“But we need to make sure...”").
    sentences.forEach(([start, end], i) => {
      const spans: Array<[number, number, number]> = [[start, end, 0]];
      const next = sentences[i + 1];
      if (next) spans.push([start, next[1], ANSWER_TUNING.pairPenalty]);
      for (const [s, e, penalty] of spans) {
        const text = doc.text.slice(s, e);
        const bag = bagOf(text);
        const typed = hasAnswerType(q, text, (a, b) => sim.similarity(a, b));
        const cov = coverage(terms, bag, sim);
        const score =
          0.6 * cov +
          0.15 * (typed ? 1 : 0) +
          0.15 / (1 + rank) +
          0.1 * Math.max(0, hit.similarity) -
          penalty;
        out.push({ hit, rank, start: s, end: e, text, bag, typed, coverage: cov, score });
      }
    });
  });
  return out.sort((a, b) => b.score - a.score || a.rank - b.rank || a.start - b.start);
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

/** Abstains plainly, naming key words no article contains; the closest passages come along as related. */
function abstain(
  reason: string,
  /** Key words of the question that no article uses: named in the answer. */
  absent: ExpandedTerm[],
  closest: Retrieved[],
  docs: Map<string, DocumentRecord>,
  maxCitations: number,
): ComposedAnswer {
  const unknown = absent.map((t) => `“${t.word}”`);
  const answer = unknown.length
    ? `The articles don't say: none of them mentions ${unknown.slice(0, 3).join(' or ')}.`
    : "The articles don't say.";
  const citations = closest.slice(0, Math.min(3, maxCitations)).map((hit, i) => {
    const first = hit.passage.sentences[0] ?? [hit.passage.start, hit.passage.end];
    return toCitation(hit, i + 1, first, docs, hit.score);
  });
  return { answer, abstained: true, citations, abstainReason: reason };
}

/** Whitespace inside a quoted sentence is layout, not content: the answer reads it as one line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Further sentences worth adding: close in score, and either bringing a key term the answer lacks, or
 * saying the same from another article. A two-part question's second answer covers the *other* part, so
 * it may score lower, but then it must bring new key terms.
 */
function companions(
  q: AnalysedQuestion,
  best: Candidate,
  ranked: Candidate[],
  terms: ExpandedTerm[],
  max: number,
): Candidate[] {
  const chosen = [best];
  const covered = new Set(best.bag.stems);
  const { companionRatio, multiPartRatio } = ANSWER_TUNING;
  for (const c of ranked) {
    if (chosen.length >= max) break;
    if (!c.typed || c.score < best.score * (q.multiPart ? multiPartRatio : companionRatio)) continue;
    if (chosen.some((x) => x.hit.passage.id === c.hit.passage.id && x.start < c.end && c.start < x.end)) {
      continue;
    }
    const addsTerms = terms.some((t) => t.matches.some((m) => c.bag.stems.has(m) && !covered.has(m)));
    const closeEnough = c.coverage >= best.coverage * companionRatio;
    const anotherArticle = chosen.every((x) => x.hit.passage.docId !== c.hit.passage.docId);
    const useful = q.multiPart
      ? addsTerms || (closeEnough && anotherArticle)
      : closeEnough && (addsTerms || anotherArticle);
    if (!useful) continue;
    chosen.push(c);
    for (const s of c.bag.stems) covered.add(s);
  }
  return chosen;
}

/**
 * Composes an extractive answer: the sentences that best answer the question, quoted verbatim, each
 * followed by the footnote marker of the passage it comes from. Abstains when the best passage does not
 * contain the question's key terms (or a sentence of the kind of answer asked for), rather than guess.
 */
export function composeAnswer(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
  maxCitations: number,
  sim: WordSimilarity,
  articleBag: (docId: string) => Bag,
): ComposedAnswer {
  sim = memoized(sim);
  if (retrieved.length === 0) return abstain('nothing retrieved', [], retrieved, docs, maxCitations);
  if (terms.length === 0) return abstain('no key terms in the question', [], retrieved, docs, maxCitations);
  const ranked = candidates(q, terms, retrieved, docs, sim);
  const best = ranked[0];
  if (!best) return abstain('no sentences', [], retrieved, docs, maxCitations);
  const chosen = companions(q, best, ranked, terms, Math.min(ANSWER_TUNING.maxSentences, maxCitations));
  // A two-part question is judged on all the passages it quotes together; any other on its best passage.
  const judged = q.multiPart ? chosen : [best];
  const passageBag = union(judged.map((c) => bagOf(c.hit.passage.text)));
  const context = union(judged.map((c) => articleBag(c.hit.passage.docId)));
  const absent = terms.filter(
    (t) =>
      t.weight === 1 && t.matches.length === 0 && credit(t, passageBag, sim) < ANSWER_TUNING.unknownMinCredit,
  );
  if (absent.length > ANSWER_TUNING.unknownAllowed) {
    const reason = `no article uses ${absent.map((t) => t.word).join(', ')}`;
    return abstain(reason, absent, retrieved, docs, maxCitations);
  }
  const support = coverage(terms, passageBag, sim, context);
  if (support < ANSWER_TUNING.minSupport) {
    const reason = `passage holds ${(support * 100).toFixed(0)}% of the key terms`;
    return abstain(reason, absent, retrieved, docs, maxCitations);
  }
  // The score's coverage part (weight 0.6) counts what the quoted sentences cover together.
  const quotedCoverage = coverage(terms, union(judged.map((c) => c.bag)), sim);
  const score = best.score + 0.6 * (quotedCoverage - best.coverage);
  if (score < ANSWER_TUNING.minScore) {
    const reason = `best sentence scores ${score.toFixed(2)} < ${ANSWER_TUNING.minScore}`;
    return abstain(reason, [], retrieved, docs, maxCitations);
  }
  if (!best.typed && answerTypeRequired(q)) {
    return abstain(`no sentence gives a ${q.type} answer`, [], retrieved, docs, maxCitations);
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

import { hasAnswerType, answerTypeRequired, versionAsked } from './answer-kinds.ts';
import type { AnalysedQuestion, QueryTerm } from './question.ts';
import type { ExpandedTerm } from './retrieve.ts';
import { foldTypography, isStopword, stemWord, words } from '../../store/lexical/words.ts';
import { amountWords, asksForName, asksForNamedKind, findSpan, nameAsked, personAsked, type Span } from './span.ts';
import type { Unit } from './units.ts';

/** The words of a span of text, as stems (for exact matching) and lower-cased surface forms (for similarity). */
export interface Bag {
  stems: Set<string>;
  surface: string[];
  /** The bags this one is the union of: a word's soft credit in it is the best of theirs, each memoised. */
  parts?: Bag[];
}

const unionMemo = new WeakMap<Bag, WeakMap<Bag, Bag>>();

/**
 * The union of bags (a heading and the sentences of a pair): the same words as the bag of their joined
 * text, but a paraphrase is looked for once per sentence, not again for every pair the sentence is in.
 */
export function unionOf(bags: Bag[]): Bag {
  return bags.reduce((a, b) => {
    let byB = unionMemo.get(a);
    if (!byB) {
      byB = new WeakMap();
      unionMemo.set(a, byB);
    }
    let u = byB.get(b);
    if (!u) {
      u = {
        stems: new Set([...a.stems, ...b.stems]),
        surface: [...new Set([...a.surface, ...b.surface])],
        parts: [...(a.parts ?? [a]), ...(b.parts ?? [b])],
      };
      byB.set(b, u);
    }
    return u;
  });
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

/** Similarity of two single words (cosine of their vectors); lets a paraphrase count as a match. */
export interface WordSimilarity {
  similarity(a: string, b: string): number;
}

/** Word-vector similarity below FLOOR gives no credit, at CEILING and above the full soft credit. */
const FLOOR = 0.35;
const CEILING = 0.7;
const VECTOR_CREDIT = 0.7;
/** A WordNet synonym or derivation counts almost as much as the word itself. */
const RELATED_CREDIT = 0.85;

/** How well `bag` contains term `t`: 1 for the word or a spelling of it, partial for a paraphrase. */
export function credit(t: ExpandedTerm, bag: Bag, sim?: WordSimilarity): number {
  if (t.matches.some((m) => bag.stems.has(m))) return 1;
  if (t.related.some((m) => bag.stems.has(m))) return RELATED_CREDIT;
  if (!sim || t.entity) return 0;
  if (bag.parts) return Math.max(...bag.parts.map((part) => credit(t, part, sim)));
  // The same term meets the same sentence several times per question (as a unit, in a pair, in features).
  let memo = softMemo.get(bag);
  if (!memo) {
    memo = new WeakMap();
    softMemo.set(bag, memo);
  }
  let soft = memo.get(t);
  if (soft === undefined) {
    let best = 0;
    for (const w of bag.surface) best = Math.max(best, sim.similarity(t.word, w));
    soft = Math.min(1, Math.max(0, (best - FLOOR) / (CEILING - FLOOR))) * VECTOR_CREDIT;
    memo.set(t, soft);
  }
  return soft;
}
const softMemo = new WeakMap<Bag, WeakMap<ExpandedTerm, number>>();

/** Whether `bag` holds the term itself or one of its spellings (no related word, no paraphrase). */
export function holds(bag: Bag, t: ExpandedTerm): boolean {
  return t.matches.some((m) => bag.stems.has(m));
}

/** IDF-weighted share of `terms` that `bag` contains (soft credit included). */
export function coverage(terms: ExpandedTerm[], bag: Bag, sim?: WordSimilarity, hard = false): number {
  let total = 0;
  let hit = 0;
  for (const t of terms) {
    const w = t.weight * t.idf;
    total += w;
    hit += w * (hard ? (t.matches.some((m) => bag.stems.has(m)) ? 1 : 0) : credit(t, bag, sim));
  }
  return total === 0 ? 1 : hit / total;
}

/** A passage's coverage is the same for each of its units: computed once per question and passage. */
const passageMemo = new WeakMap<ExpandedTerm[], Map<string, number>>();
function passageCoverage(key: ExpandedTerm[], own: ExpandedTerm[], id: string, bag: Bag, sim: WordSimilarity): number {
  let memo = passageMemo.get(key);
  if (!memo) {
    memo = new Map();
    passageMemo.set(key, memo);
  }
  let v = memo.get(id);
  if (v === undefined) {
    v = coverage(own, bag, sim);
    memo.set(id, v);
  }
  return v;
}

/** Everything known about the document a unit comes from. */
export interface DocumentView {
  /** Words of the whole text. */
  text: Bag;
  /** Title and file-name words. */
  context: Bag;
  /** Both together (stems only). */
  whole: Bag;
  /** Names the document gives a title or has speak ("Mr Lukashenko", "Kovalenko said"), lower-cased. */
  people: ReadonlySet<string>;
  /** The words of its file name (`1962_john_f_kennedy_d.txt`; none for a hash-like name). */
  fileName: Bag;
}

export const FEATURES = [
  'coverage',
  'coverageExact',
  'coveragePassage',
  'coverageDocument',
  'carriedCoverage',
  'missingEntity',
  'missingContent',
  'absentFromCorpus',
  'typed',
  'typeMissing',
  'span',
  'categoryAsked',
  'categoryMet',
  'attribution',
  'bm25RR',
  'denseRR',
  'hybridRR',
  'similarity',
  'pair',
  'length',
  'dependent',
  'novelty',
  'headline',
  'entityInPassage',
  'spanMissing',
  'detailMissing',
  'spanCounted',
  'leadIn',
  'carriedInPassage',
  'fileNameMissing',
  'polar',
  // Relative to the question's other candidates (filled in by `withRelativeFeatures`): a pointwise model
  // ranks better when it sees how a unit compares, not only how it scores.
  'coverageGap',
  'coveragePassageGap',
  'spanGap',
] as const;
export type FeatureName = (typeof FEATURES)[number];

/**
 * "What is the default value of DEBUG_DEPTH?": a unit that names no default ("Object inspection depth."),
 * nor a heading over it, doesn't say.
 */
export function defaultMissing(q: AnalysedQuestion, unit: Unit): boolean {
  return DEFAULT.test(q.question) && !DEFAULT.test(unit.text) && !DEFAULT.test(unit.heading ?? '');
}
const DEFAULT = /\bdefault/i;

const SPEECH = /\b(said|says|say|told|tells|wrote|writes|warned|warns|added|adds|according to|stated|claimed|argued|insisted|urged|called|announced|declared|proposed|propose|ask|asked|believe|believes)\b|["“”]/i;

/** Words that settle a yes-or-no question: a negation, a restriction, a default. */
const POLARITY = /\b(?:not|no|never|nothing|none|neither|nor|cannot|only|must|always|default|defaults|true|false|yes)\b|n't\b/i;

export interface UnitFeatures {
  values: number[];
  span: Span | null;
}

/**
 * The question's words that the file names of the documents read hold ("Kennedy", "1962" in
 * `1962_john_f_kennedy_d.txt`), and how many of them the best-named file holds: a question may name two
 * files ("Clinton in 1996 and Obama in 2014"), each named as fully as the best-named one.
 */
export function fileNaming(
  terms: readonly ExpandedTerm[],
  fileNames: readonly Bag[],
  /** For a follow-up, the words of the question it follows (`AnalysedQuestion.followed`). */
  followed: readonly QueryTerm[] = [],
): { named: ExpandedTerm[]; most: number } {
  const naming = (among: readonly ExpandedTerm[]) => among.filter((t) => fileNames.some((f) => holds(f, t)));
  // A follow-up that names no file ("And the following year?", "Is there another syntax for that?") stays with
  // the one its conversation named: by the words it carries, else by any word of the question it follows.
  const own = naming(terms.filter((t) => t.own));
  const carried = own.length ? own : naming(terms.filter((t) => !t.own));
  const named = carried.length ? carried : naming(followed.map((t) => ({ ...t, matches: [t.stem], related: [], idf: 0 })));
  return { named, most: Math.max(0, ...fileNames.map((f) => named.filter((t) => holds(f, t)).length)) };
}

/** Features of one candidate unit. Pure: the same inputs always give the same numbers. */
export function unitFeatures(
  q: AnalysedQuestion,
  terms: ExpandedTerm[],
  unit: Unit,
  doc: DocumentView,
  sim: WordSimilarity,
  maxIdf: number,
  people: ReadonlySet<string> = doc.people,
  /** The question's words that some retrieved document's file name holds (`fileNaming`). */
  fileNamed: readonly ExpandedTerm[] = [],
  /** How many of them the best-named retrieved file holds. */
  mostNamed = fileNamed.length,
): UnitFeatures {
  const own = terms.filter((t) => t.own);
  const carried = terms.filter((t) => !t.own);
  const carriedNames = carried.filter((t) => t.entity);
  // A unit under Markdown headings is matched together with them ("## Install" + "Run npm i").
  const sentences = unit.parts?.map(([a, b]) => bagOf(unit.text.slice(a - unit.start, b - unit.start))) ?? [bagOf(unit.text)];
  const bag = unionOf(unit.heading ? [bagOf(unit.heading), ...sentences] : sentences);
  // A unit is matched with its file's name too: "Which minipass method…" is asked of minipass's README, whose
  // entries do not repeat its name ("`promise()` - Returns a Promise…").
  const withFileName = doc.fileName.stems.size ? unionOf([bag, doc.fileName]) : bag;
  const passage = bagOf(unit.hit.passage.text);
  const whole = doc.whole;
  const inDocument = (t: ExpandedTerm) => Math.max(credit(t, bag, sim), credit(t, whole) * 0.8);
  const ownWeight = own.reduce((s, t) => s + t.weight * t.idf, 0) || 1;
  const docCoverage = own.reduce((s, t) => s + t.weight * t.idf * inDocument(t), 0) / ownWeight;
  const entities = own.filter((t) => t.entity);
  const missingEntity = entities.length
    ? entities.filter((t) => !t.matches.some((m) => whole.stems.has(m))).length / entities.length
    : 0;
  const content = own.filter((t) => !t.entity);
  const contentWeight = content.reduce((s, t) => s + t.idf, 0);
  const missingContent = contentWeight
    ? content.filter((t) => credit(t, whole) < 0.5 && credit(t, bag, sim) < 0.5).reduce((s, t) => s + t.idf, 0) /
      contentWeight
    : 0;
  const absent = own.filter((t) => t.matches.length === 0 && t.related.length === 0);
  const absentFromCorpus =
    absent.reduce((s, t) => s + (t.entity ? 2 : 1) * (t.idf / maxIdf), 0) / Math.max(1, own.length);
  const typed = hasAnswerType(q, unit.text, (a, b) => sim.similarity(a, b));
  const span = findSpan(q, unit.text, people);
  const unitWords = bag.surface.map(stemWord);
  const novelty = unitWords.length ? unitWords.filter((s) => !q.stems.has(s)).length / unitWords.length : 0;
  const rr = (rank: number) => (rank < 0 ? 0 : 1 / (1 + rank));
  const firstLine = unit.hit.passage.start === 0 && unit.sentence === 0;
  const values: Record<FeatureName, number> = {
    coverage: coverage(own, withFileName, sim),
    coverageExact: coverage(own, withFileName, undefined, true),
    coveragePassage: passageCoverage(terms, own, unit.hit.passage.id, passage, sim),
    coverageDocument: docCoverage,
    carriedCoverage: carried.length ? coverage(carried, { stems: new Set([...passage.stems, ...whole.stems]), surface: [] }) : 1,
    missingEntity,
    missingContent,
    absentFromCorpus,
    typed: typed && q.type !== 'what' && q.type !== 'yes-no' ? 1 : 0,
    typeMissing: !typed && answerTypeRequired(q) ? 1 : 0,
    span: span ? 1 : 0,
    categoryAsked: q.category.length || q.type === 'who' || q.type === 'where' ? 1 : 0,
    categoryMet: span && (q.category.length || q.type === 'who' || q.type === 'where') ? 1 : 0,
    attribution: q.attribution && SPEECH.test(foldTypography(unit.text)) ? 1 : 0,
    bm25RR: rr(unit.hit.bm25Rank),
    denseRR: rr(unit.hit.denseRank),
    hybridRR: rr(unit.rank),
    similarity: unit.hit.similarity,
    pair: unit.pair ? 1 : 0,
    length: Math.log1p(unit.text.length) / Math.log(600),
    dependent: unit.dependent && !unit.pair ? 1 : 0,
    novelty,
    headline: firstLine && !unit.pair ? 1 : 0,
    entityInPassage: entities.length
      ? entities.filter((t) => t.matches.some((m) => passage.stems.has(m))).length / entities.length
      : 1,
    spanMissing: !span && (q.type === 'when' || q.type === 'how-many' || asksForName(q)) ? 1 : 0,
    // "Who…" with no name in the unit: a pronoun ("he blamed the West") does not say who; the pair with the
    // sentence naming them is a candidate of its own. Measured: cross-validated 0.586 → 0.588, never-trained
    // 0.352 → 0.360 (utility over thresholds 0.25–0.40).
    detailMissing:
      (!span &&
        (answerTypeRequired(q) ||
          asksForNamedKind(q) ||
          nameAsked(q.question) ||
          personAsked(q) ||
          versionRequired(q, doc))) ||
      defaultMissing(q, unit)
        ? 1
        : 0,
    // "How many zones…" answered by "a million hearts": the amount must count what was asked about.
    spanCounted: span && q.counted.length ? (countsHead(unit.text, span, q.counted, sim) ? 1 : -1) : 0,
    // "You can install it using this command:" announces the answer; quoted alone it answers nothing.
    leadIn: /:\s*$/.test(unit.text) ? 1 : 0,
    // "How old is he?" about Putin, answered from a passage about Lukashenko: the one referred back to must be
    // named near the answer, not only somewhere in its document.
    carriedInPassage: carriedNames.length ? coverage(carriedNames, unionOf([bag, passage])) : 1,
    // "What did Kennedy say in 1962…" names a file (`1962_john_f_kennedy_d.txt`): a unit from another file is
    // likely from the wrong speech. Not titles: a headline names whom the article is about, not the article.
    fileNameMissing: mostNamed
      ? 1 - fileNamed.filter((t) => t.matches.some((m) => doc.fileName.stems.has(m))).length / mostNamed
      : 0,
    // "Can I pass objects as format arguments?" is answered by what may not be done ("must be of a primitive
    // type", "not supported", "Default: false"), rarely by a sentence that only shares its words.
    polar: q.type === 'yes-no' && POLARITY.test(foldTypography(unit.text)) ? 1 : 0,
    coverageGap: 0,
    coveragePassageGap: 0,
    spanGap: 0,
  };
  return { values: FEATURES.map((f) => values[f]), span };
}

const RELATIVE: Array<[FeatureName, FeatureName]> = [
  ['coverageGap', 'coverage'],
  ['coveragePassageGap', 'coveragePassage'],
  ['spanGap', 'span'],
];

/** Fills the relative features: how far each candidate's value is below the best of the question. */
export function withRelativeFeatures(rows: number[][]): void {
  for (const [gap, of] of RELATIVE) {
    const g = FEATURES.indexOf(gap);
    const o = FEATURES.indexOf(of);
    const best = Math.max(0, ...rows.map((r) => r[o] as number));
    for (const r of rows) r[g] = best - (r[o] as number);
  }
}

/** Features of the question's decision: answer with the best candidate, or abstain. */
export const DECISION_FEATURES = [
  'best',
  'margin',
  'rivals',
  'bestCoverage',
  'bestCoverageExact',
  'missingEntity',
  'missingContent',
  'absentFromCorpus',
  'typeMissing',
  'span',
  'bm25RR',
  'similarity',
  'entityInPassage',
  'spanMissing',
  'coveragePassage',
  'spanCounted',
  'carriedCoverage',
  'carriedInPassage',
  'fileNameMissing',
  'polar',
] as const;

/** A scored candidate as the decision sees it: its probability, its features, and where it quotes from. */
export interface RankedCandidate {
  probability: number;
  values: readonly number[];
  docId: string;
  start: number;
  end: number;
}

/** `ranked`: a question's candidates, most probable first. */
export function decisionFeatures(ranked: readonly RankedCandidate[]): number[] {
  const [best, second] = ranked;
  const f = (name: FeatureName) => (best ? (best.values[FEATURES.indexOf(name)] as number) : 0);
  const p1 = best?.probability ?? 0;
  const p2 = second?.probability ?? 0;
  // Other places in the documents (not the best unit, nor a sentence or pair overlapping it) that score at
  // least half as well: where several passages each look like the answer, none is clearly it.
  const rivals = best
    ? ranked.filter(
        (c) => (c.docId !== best.docId || c.end <= best.start || c.start >= best.end) && c.probability > p1 / 2,
      ).length
    : 0;
  return [
    p1,
    p1 - p2,
    rivals,
    f('coverage'),
    f('coverageExact'),
    f('missingEntity'),
    f('missingContent'),
    f('absentFromCorpus'),
    f('typeMissing'),
    f('span'),
    f('bm25RR'),
    f('similarity'),
    f('entityInPassage'),
    f('spanMissing'),
    f('coveragePassage'),
    f('spanCounted'),
    f('carriedCoverage'),
    f('carriedInPassage'),
    f('fileNameMissing'),
    f('polar'),
  ];
}

/**
 * A count or a date asked for and none in the unit, or a "which city / which journalist" question and no
 * such name in it: whatever else the unit says, it doesn't answer. A rule, not a weight: it holds on
 * every corpus.
 */
export function detailMissing(values: readonly number[] | undefined): boolean {
  return values?.[FEATURES.indexOf('detailMissing')] === 1;
}

/**
 * The question names a document by its file ("minipass", "Kennedy … 1962") and the best unit comes from another:
 * on the nine dev sets such a best unit answered none of 25 questions (14 answerable, 11 not). A rule, not a
 * weight.
 */
export function fromUnnamedDocument(values: readonly number[] | undefined): boolean {
  return values?.[FEATURES.indexOf('fileNameMissing')] === 1;
}

const writesVersions = new WeakMap<DocumentView, boolean>();

/**
 * "Which version…" needs a version number where the document writes them ("1.13.0"): a README's "which
 * version" asks for one, a speech's "what homegrown version of the Peace Corps" does not.
 */
export function versionRequired(q: AnalysedQuestion, doc: DocumentView): boolean {
  if (!versionAsked(q.question)) return false;
  let known = writesVersions.get(doc);
  if (known === undefined) {
    known = [...doc.text.stems].some((s) => /^v?\d+\.\d+\.\d+/.test(s));
    writesVersions.set(doc, known);
  }
  return known;
}

/** The amount, or one of the few words after it ("thousands of Kiev troops"), names what was counted. */
function countsHead(text: string, span: Span, counted: string[], sim: WordSimilarity): boolean {
  const head = counted[counted.length - 1] as string;
  return amountWords(text, span).some((w) => stemWord(w) === stemWord(head) || sim.similarity(head, w) >= 0.6);
}

import type { ExpandedTerm } from './retrieve.ts';
import { foldTypography, isStopword, stemWord, words } from '../../store/lexical/words.ts';
import { Vocabulary } from './variants.ts';
import { type Bag, bagOf, coverage, credit } from './features.ts';
import { wordNet } from './wordnet.ts';

/**
 * Checks a model-written sentence against the passages it cites. Pure functions: the same sentence and
 * passages always give the same verdict. A sentence is supported when it cites at least one passage that
 * was given, every number, date and name in it appears in a cited passage (after normalisation), and its
 * content words are covered by the cited passages above a threshold (the extractive scorer's soft
 * matching: stems, spellings, WordNet synonyms and derivations).
 */

/** A passage as given to the model: its marker, its text, and its sentences as document offsets. */
export interface GivenPassage {
  marker: number;
  /** Document offset of `text`. */
  start: number;
  text: string;
  /** Sentence boundaries inside the passage, [start, end] in document offsets. */
  sentences: Array<[number, number]>;
  /** Its document's title: names it gives count as support for names ("the Belarusian leader" is Lukashenko). */
  title?: string;
}

export interface VerifyOptions {
  /** Least IDF-weighted share of the sentence's content words the cited passages must cover. */
  threshold?: number;
  /** IDF of a stem in the corpus (rarer words weigh more); 1 for every word without it. */
  idf?: (stem: string) => number;
}

export const DEFAULT_COVERAGE_THRESHOLD = 0.6;

export interface Verdict {
  /** The sentence without its markers. */
  claim: string;
  /** The markers it cites, as the model wrote them (1-based positions in the list given). */
  markers: number[];
  supported: boolean;
  /** Why not, when unsupported. */
  reason?: string;
  /** Coverage of the claim's content words by the cited passages (0 when nothing valid is cited). */
  coverage: number;
  /** Per cited passage: the sentence(s) that best support the claim, as document offsets. */
  quotes: Map<number, [number, number]>;
}

// --- markers and sentences -----------------------------------------------------------------------

/** `[1]`, `[1][2]`, `[1, 2]`: one marker group. */
const MARKER_GROUP = /\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]/g;

/** The markers of a sentence in order of appearance, each once. */
export function markersOf(sentence: string): number[] {
  const out: number[] = [];
  for (const m of sentence.matchAll(MARKER_GROUP)) {
    for (const n of m[0].match(/\d+/g) ?? []) if (!out.includes(Number(n))) out.push(Number(n));
  }
  return out;
}

/** The sentence without its markers (and the space before them). */
export function stripMarkers(sentence: string): string {
  return sentence
    .replace(new RegExp(`\\s*${MARKER_GROUP.source}`, 'g'), '')
    .replace(/\s+([.,;:!?])/g, '$1')
    .trim();
}

/** Rewrites every marker through `map`; markers it maps to null are removed. */
export function renumberMarkers(sentence: string, map: (n: number) => number | null): string {
  return sentence
    .replace(new RegExp(`(\\s*)${MARKER_GROUP.source}`, 'g'), (group: string) => {
      const space = /^\s*/.exec(group)?.[0] ?? '';
      const kept = (group.match(/\d+/g) ?? []).map((n) => map(Number(n))).filter((n): n is number => n !== null);
      const unique = [...new Set(kept)];
      return unique.length ? `${space}${unique.map((n) => `[${n}]`).join('')}` : '';
    })
    .trim();
}

/** The bullet or number opening a list item ("- ", "2. ", "3) "). */
const LIST_ITEM = /^[ \t]*(?:[-*•]|\d+[.)])[ \t]+/;

/** Abbreviations after which a full stop does not end a sentence ("Aug. 6", "Mr. Putin", "U.S. troops"). */
const ABBREVIATIONS = new Set(
  `mr mrs ms dr st jr sr prof gen col lt maj capt sgt sen rep gov pres rev gov jan feb mar apr jun jul aug sep sept
oct nov dec no nos vs etc approx est dept corp inc ltd co fig vol e.g i.e u.s u.k u.n a.m p.m`.split(/\s+/),
);

/**
 * Splits text into complete sentences and the unfinished rest. A sentence ends at `.`, `!` or `?` (after
 * closing quotes and any markers that follow it: "… the border. [1]"), followed by white space and more
 * text; the rest is kept for the next chunk of a stream. `final` treats the rest as the last sentence.
 */
export function splitSentences(text: string, final = false): { sentences: string[]; rest: string } {
  const sentences: string[] = [];
  let from = 0;
  const end = /[.!?]+["'”’)\]]*((?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*)(?=\s+[^\s[])/g;
  // Blank lines end a sentence too (a heading), and so does the start of a list item.
  const breaks = /\n\s*\n|\n(?=[ \t]*(?:[-*•]|\d+[.)])[ \t]+\S)/g;
  const cuts: number[] = [];
  for (const m of text.matchAll(end)) {
    const before = text.slice(from, m.index);
    const lastWord = /([\p{L}.]+)$/u.exec(before)?.[1]?.toLowerCase() ?? '';
    // "1." opening a list item is its number, not a sentence.
    if (/(?:^|\n)[ \t]*\d+$/.test(before)) continue;
    // "Aug." or "U.S." or a single initial ("J. Smith"): not a sentence end.
    if (m[0].startsWith('.') && (ABBREVIATIONS.has(lastWord.replace(/\.$/, '')) || /^\p{L}$/u.test(lastWord))) {
      continue;
    }
    cuts.push(m.index + m[0].length);
  }
  for (const m of text.matchAll(breaks)) cuts.push(m.index);
  cuts.sort((a, b) => a - b);
  for (const cut of cuts) {
    if (cut <= from) continue;
    const s = text.slice(from, cut).trim();
    if (s) sentences.push(s);
    from = cut;
  }
  let rest = text.slice(from);
  if (final) {
    if (rest.trim()) sentences.push(rest.trim());
    rest = '';
  }
  return { sentences, rest };
}

// --- numbers, dates and names --------------------------------------------------------------------

const SMALL: Record<string, number> = {
  zero: 0, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  dozen: 12,
};
const MULTIPLIERS: Record<string, number> = { hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };
const ORDINAL = /^(\d+)(st|nd|rd|th)$/;

/**
 * The numbers a text states, as values: "14,000", "14000" and "14 thousand" are all 14000, "two
 * million" is 2000000, "Aug. 6th" holds 6. "one" alone is not counted (it is as often a pronoun).
 */
export function numbersIn(text: string): number[] {
  const out: number[] = [];
  let current: number | null = null;
  let total = 0;
  let afterOne = false;
  const flush = () => {
    if (current !== null || total) out.push(total + (current ?? 0));
    current = null;
    total = 0;
  };
  for (const w of words(text)) {
    const ordinal = ORDINAL.exec(w);
    const digits = /^\d+(?:\.\d+)?$/.test(w) ? Number(w) : ordinal ? Number(ordinal[1]) : null;
    const word = SMALL[w];
    const mult = MULTIPLIERS[w];
    if (digits !== null || word !== undefined) {
      const v = (digits ?? word) as number;
      // "twenty five" is 25; otherwise a new number starts.
      const tens = current !== null && current >= 20 && current < 100 && current % 10 === 0;
      if (tens && digits === null && v < 10) current = (current as number) + v;
      else {
        flush();
        current = v;
      }
    } else if (mult !== undefined && (current !== null || afterOne)) {
      const base: number = current ?? 1;
      if (mult >= 1000) {
        total += base * mult;
        current = null;
      } else current = base * mult;
    } else flush();
    // "one million", "a thousand": "one" and "a" count only before a multiplier.
    afterOne = w === 'one' || w === 'a' || w === 'an';
  }
  flush();
  return out.map((n) => Math.round(n * 1000) / 1000);
}

const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november',
  'december',
];
const MONTH_OF = new Map<string, string>();
for (const m of MONTHS) {
  MONTH_OF.set(m, m);
  MONTH_OF.set(m.slice(0, 3), m);
}
MONTH_OF.set('sept', 'september');

/** Day-and-month dates a text states, normalised: "Aug. 6", "August 6th" and "6 August" are "august 6". */
export function datesIn(text: string): string[] {
  const ws = words(text);
  const out: string[] = [];
  ws.forEach((w, i) => {
    const month = MONTH_OF.get(w);
    // "may" is a month only next to a day number.
    if (!month) return;
    const day = (x: string | undefined) => {
      const m = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(x ?? '');
      return m && Number(m[1]) >= 1 && Number(m[1]) <= 31 ? Number(m[1]) : null;
    };
    const d = day(ws[i + 1]) ?? day(ws[i - 1]);
    if (d !== null) out.push(`${month} ${d}`);
  });
  return [...new Set(out)];
}

/** Months mentioned with or without a day ("in August"): a month is a fact like a name. */
function monthsIn(text: string): string[] {
  const out = new Set<string>();
  for (const w of text.match(/\b\p{Lu}\p{Ll}+\.?/gu) ?? []) {
    const m = MONTH_OF.get(w.replace(/\.$/, '').toLowerCase());
    if (m && w.toLowerCase() !== 'may') out.add(m);
  }
  return [...out];
}

const isPlace = (w: string) => ['location', 'country', 'continent'].some((c) => wordNet().isA(w, c));

const WEEKDAYS = new Set(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

/**
 * Names in a sentence: capitalised words (and initialisms) other than the first word, plus a first word
 * that is no common English word ("Lukashenko said…", but not "However" or "Officials"). Months are
 * dates, not names.
 */
export function namesIn(sentence: string): string[] {
  const text = foldTypography(stripMarkers(sentence));
  const out: string[] = [];
  const re = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
  let first = true;
  for (const m of text.matchAll(re)) {
    const raw = m[0].replace(/['’]s$/i, '');
    const isFirst = first || /[.!?:"“]\s*$/.test(text.slice(0, m.index));
    first = false;
    if (!/^\p{Lu}/u.test(raw)) continue;
    const lower = raw.toLowerCase();
    // "I", and contractions ("I'll", "We've", "She'd", "Don't"): pronouns and verbs, not names.
    if (isStopword(lower) || MONTH_OF.has(lower) || WEEKDAYS.has(lower) || lower === 'i') continue;
    if (/['’](ll|ve|d|re|m|t)$/u.test(lower)) continue;
    // A first word is capitalised anyway: a name only if it is no common word, or is a place ("Poland").
    if (isFirst && raw !== raw.toUpperCase() && wordNet().knows(lower) && !isPlace(lower)) continue;
    out.push(lower);
  }
  return [...new Set(out)];
}

// --- support -------------------------------------------------------------------------------------

/**
 * Text in a document that addresses an AI rather than a reader ("ignore previous instructions and say
 * X"). Documents are data: such a sentence asserts nothing, so it supports nothing.
 */
const INSTRUCTION =
  /\b(ignore|disregard|forget)\b[^.!?]{0,40}\b(previous|prior|above|earlier|all|your)\b[^.!?]{0,20}\b(instructions?|prompts?|rules|directions)\b|\b(system prompt|you are now|as an ai|language model)\b/i;

export function isInstruction(sentence: string): boolean {
  return INSTRUCTION.test(foldTypography(sentence));
}

/** A passage's sentences as [docStart, docEnd, text], those addressing an AI left out. */
function supportingSentences(p: GivenPassage): Array<[number, number, string]> {
  const spans = p.sentences.length ? p.sentences : [[p.start, p.start + p.text.length] as [number, number]];
  return spans
    .map(([s, e]) => [s, e, p.text.slice(s - p.start, e - p.start)] as [number, number, string])
    .filter(([, , t]) => t.trim() && !isInstruction(t));
}

/** Whether `bag` holds the word: its stem, a spelling of it (Kyiv/Kiev) or a WordNet relative (Ukrainian/Ukraine). */
function hasWord(word: string, bag: Bag, vocabulary: Vocabulary): boolean {
  const s = stemWord(word);
  if (bag.stems.has(s) || vocabulary.variants(s).length > 0) return true;
  for (const r of wordNet().related(word)) if (bag.stems.has(stemWord(r))) return true;
  return false;
}

/** The claim's content words as terms of the extractive scorer's soft matching, against `vocabulary`. */
export function claimTerms(claim: string, vocabulary: Vocabulary, idf: (stem: string) => number = () => 1): ExpandedTerm[] {
  const names = new Set(namesIn(claim));
  const seen = new Set<string>();
  const terms: ExpandedTerm[] = [];
  for (const word of bagOf(claim).surface) {
    const stem = stemWord(word);
    if (seen.has(stem) || /^\d/.test(word)) continue;
    seen.add(stem);
    const matches = [stem, ...vocabulary.variants(stem)];
    const related = [...new Set([...wordNet().related(word)].map((w) => stemWord(w)))].filter(
      (r) => !matches.includes(r),
    );
    terms.push({ stem, word, weight: 1, matches, related, idf: idf(stem), ...(names.has(word) ? { entity: true } : {}) });
  }
  return terms;
}

/** Verifies one sentence written by the model against the passages it was given. */
export function verifySentence(sentence: string, given: GivenPassage[], opts: VerifyOptions = {}): Verdict {
  const threshold = opts.threshold ?? DEFAULT_COVERAGE_THRESHOLD;
  // A list item's bullet or number is layout, not a claim.
  const claim = stripMarkers(sentence).replace(LIST_ITEM, '');
  const markers = markersOf(sentence);
  const verdict = (supported: boolean, reason?: string, cov = 0, quotes = new Map<number, [number, number]>()): Verdict => ({
    claim,
    markers,
    supported,
    coverage: Math.round(cov * 1000) / 1000,
    quotes,
    ...(reason ? { reason } : {}),
  });
  if (markers.length === 0) return verdict(false, 'no citation');
  const byMarker = new Map(given.map((p) => [p.marker, p]));
  const missing = markers.filter((m) => !byMarker.has(m));
  if (missing.length) {
    return verdict(false, `cites ${missing.map((m) => `[${m}]`).join('')}, which ${missing.length > 1 ? 'were' : 'was'} not given`);
  }
  const cited = markers.map((m) => byMarker.get(m) as GivenPassage);
  const sentencesOf = new Map(cited.map((p) => [p.marker, supportingSentences(p)]));
  const supportText = [...sentencesOf.values()].flatMap((ss) => ss.map(([, , t]) => t)).join('\n');
  const bag = bagOf(supportText);
  const vocabulary = new Vocabulary(bag.stems);

  const quotesFor = (terms: ExpandedTerm[]) => {
    const quotes = new Map<number, [number, number]>();
    for (const [marker, ss] of sentencesOf) {
      let best: [number, number] | null = null;
      let bestCov = -1;
      for (const [s, e, t] of ss) {
        const c = coverage(terms, bagOf(t));
        if (c > bestCov) [best, bestCov] = [[s, e], c];
      }
      // Two adjacent sentences when together they cover clearly more than the best one alone.
      const single = bestCov;
      ss.forEach(([s, , t], i) => {
        const next = ss[i + 1];
        if (!next) return;
        const c2 = coverage(terms, bagOf(`${t} ${next[2]}`));
        if (c2 > single + 0.15 && c2 > bestCov) [best, bestCov] = [[s, next[1]], c2];
      });
      if (best) quotes.set(marker, best);
    }
    return quotes;
  };

  const terms = claimTerms(claim, vocabulary, opts.idf);
  const quotes = quotesFor(terms);
  if (!supportText.trim()) return verdict(false, 'the cited passage states nothing', 0, quotes);

  const supportDates = new Set(datesIn(supportText));
  const badDate = datesIn(claim).find((d) => !supportDates.has(d));
  if (badDate) return verdict(false, `date "${badDate}" is not in the cited passage`, 0, quotes);
  const supportMonths = new Set([...datesIn(supportText).map((d) => d.split(' ')[0]), ...monthsIn(supportText)]);
  const badMonth = monthsIn(claim).find((m) => !supportMonths.has(m));
  if (badMonth) return verdict(false, `date "${badMonth}" is not in the cited passage`, 0, quotes);

  const supportNumbers = new Set(numbersIn(supportText));
  const badNumber = numbersIn(claim).find((n) => !supportNumbers.has(n));
  if (badNumber !== undefined) return verdict(false, `number ${badNumber} is not in the cited passage`, 0, quotes);

  const titles = bagOf(cited.map((p) => p.title ?? '').join('\n'));
  const badName = namesIn(claim).find((n) => !hasWord(n, bag, vocabulary) && !titles.stems.has(stemWord(n)));
  if (badName) return verdict(false, `name "${badName}" is not in the cited passage`, 0, quotes);

  const cov = terms.length ? coverage(terms, bag) : 0;
  if (!terms.length) return verdict(false, 'no content to check', 0, quotes);
  if (cov < threshold) {
    const uncovered = terms.filter((t) => credit(t, bag) < 0.5).map((t) => t.word);
    return verdict(
      false,
      `the cited passage covers ${Math.round(cov * 100)}% of its words (below ${Math.round(threshold * 100)}%; not found: ${uncovered.slice(0, 5).join(', ')})`,
      cov,
      quotes,
    );
  }
  // Polarity: "did not call for talks" is not supported by "called for talks", nor the other way round.
  const quoted = [...quotes].map(([marker, [qs, qe]]) => {
    const p = byMarker.get(marker) as GivenPassage;
    return p.text.slice(qs - p.start, qe - p.start);
  });
  if (negated(claim) && !quoted.some(negated)) {
    // The negation may be in another sentence of the passage than the best-covering one: the one that
    // shares most words with the claim becomes the quote.
    const claimStems = bagOf(claim).stems;
    let best: [number, [number, number], number] | null = null;
    for (const [marker, ss] of sentencesOf) {
      for (const [s, e, t] of ss) {
        const shared = [...bagOf(t).stems].filter((x) => claimStems.has(x)).length;
        if (negated(t) && shared > 0 && (!best || shared > best[2])) best = [marker, [s, e], shared];
      }
    }
    if (!best) return verdict(false, 'it negates what the cited passage states', cov, quotes);
    quotes.set(best[0], best[1]);
  }
  if (!negated(claim) && quoted.length && quoted.every(negated)) {
    return verdict(false, 'the cited passage states it negated', cov, quotes);
  }
  return verdict(true, undefined, cov, quotes);
}

const NEGATION = /\b(not|never|no|none|nobody|nothing|neither|nor|cannot|without)\b|n't\b/i;
const negated = (text: string) => NEGATION.test(foldTypography(text));

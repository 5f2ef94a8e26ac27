import { type AnalysedQuestion, verbsOf } from './question.ts';
import { foldTypography, stemWord, words } from '../../store/lexical/words.ts';

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december';
const DAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|third|quarter|several|few';

const PATTERNS: Record<Exclude<AnalysedQuestion['type'], 'what' | 'yes-no'>, RegExp> = {
  'how-many': new RegExp(`\\d|\\b(${NUMBER_WORDS})\\b`, 'i'),
  when: new RegExp(
    `\\b(${MONTHS}|${DAYS}|yesterday|today|tonight|last (night|week|month|year)|this (week|month|year)|earlier|later|ago|since|anniversary|(18|19|20)\\d\\d|in (early|late|mid)-?\\s?\\w+)\\b`,
    'i',
  ),
  where: /\b(in|at|on|from|near|towards?|across|into|along|inside|outside|through|via)\s+(the\s+)?\p{Lu}/u,
  who: /\p{Lu}\p{Ll}+\s+\p{Lu}\p{Ll}+|\b(Mr|Ms|Mrs|Dr|President|Minister|leader|journalist|adviser|head of)\b/u,
  why: /\b(because|due to|as a result|in order to|so that|in response|reason|since|amid|after|caused|to ensure|thwarted|blamed|instigated)\b/i,
};

// "5x faster", "2× the memory": a multiple is a number too.
const NUMBER = new RegExp(`^(\\d[\\d,./]*[x×]?|${NUMBER_WORDS})$`, 'i');
const YEAR = /^(1[6-9]|20)\d\d$/;
const MONTH = new RegExp(`^(${MONTHS})$`);
/** How far (in words) a number may stand before the thing counted: "more than 120,000 Ukrainian troops". */
const COUNT_WINDOW = 4;

/** For "how many X": a number shortly before X (or a word as close as "troops" is to "soldiers"). */
function countsTheThing(
  counted: string[],
  sentence: string,
  similar: (a: string, b: string) => number,
  questionStems: Set<string>,
): boolean {
  const head = counted[counted.length - 1];
  if (!head) return PATTERNS['how-many'].test(sentence);
  const headStem = stemWord(head);
  const ws = words(sentence);
  return ws.some((w, i) => {
    // A year or a day of the month is a date, not a count ("On February 24, 2022, Russian troops...").
    if (!NUMBER.test(w) || YEAR.test(w) || MONTH.test(ws[i - 1] ?? '') || MONTH.test(ws[i + 1] ?? '')) {
      return false;
    }
    if (questionStems.has(stemWord(w))) return false;
    return ws
      .slice(i + 1, i + 1 + COUNT_WINDOW)
      .some((next) => stemWord(next) === headStem || similar(head, next) >= 0.7);
  });
}

const MEASURE_ASKED =
  /\bwhat(?:'s|\s+is|\s+was|\s+are|\s+were)?\s+(?:the\s+|its\s+|their\s+)?(?:(?!(?:does|do|did|can|could|should|will|would|has|have|had)\b)[a-z-]+\s+){0,2}?(rate|percentage|percent|share|proportion|fraction|range|distance|age|price|cost|salary|wage|budget|population|speed|temperature|number|amount|figure|estimate|total|sum|port)\b/i;
const COST_ASKED = /^\s*what\b[^?]*\b(?:would|will|did|does|do|to)\s+cost\b/i;
const DISTANCE = /\b(?:miles?|kilomet(?:er|re)s?|km|feet|foot|yards?|met(?:er|re)s?|nautical)\b/i;
// A scale word is a sum only after a figure ("200 billion"): "half a million units" counts units.
const MONEY = /[$£€]|\b(?:dollars?|cents?|pounds?|euros?)\b|\d\s*(?:billion|million|trillion)\b/i;
/** "One in 10 Americans", "two out of three voters": a share written as a ratio (not "2 in 2022"). */
export const RATIO =
  '\\b(?:\\d+|one|two|three|four|five|six|seven|eight|nine|ten)\\s+(?:in|out of)\\s+(?:\\d{1,3}(?:,\\d{3})*(?![\\d,])|two|three|four|five|six|seven|eight|nine|ten|twenty|a hundred|a thousand)\\b';
const SHARE = new RegExp(`%|\\bper ?cent\\b|\\b(?:half|third|quarter|fourth|fifth|tenth)s?\\b|\\/\\d|${RATIO}`, 'i');
/** What an amount of each measure is written in (the short-answer spans use them too). */
export const MEASURE_UNITS = {
  range: DISTANCE,
  distance: DISTANCE,
  // "Born 79 years ago" gives an age as surely as "79 years old".
  age: /\b\d+[- ]years?[- ]old\b|\baged? (?:of )?\d+|\b\d+ years of age\b|\bborn \d+ years ago\b/i,
  price: MONEY,
  cost: MONEY,
  salary: MONEY,
  wage: MONEY,
  budget: MONEY,
  rate: new RegExp(`${SHARE.source}|\\bper\\b`, 'i'),
  percentage: SHARE,
  percent: SHARE,
  share: SHARE,
  proportion: SHARE,
  fraction: SHARE,
  // "What port does the Memcache adapter use?": a port is a number ("11211"), whatever the sentence says of ports.
  port: /\d/,
} satisfies Record<string, RegExp>;

/**
 * "What is the range of…", "What unemployment rate…": a measure asked for by name. Undefined when the
 * question asks for none; otherwise what the amount must be measured in (null: any amount).
 */
export function measureAsked(question: string): RegExp | null | undefined {
  // "What did Fillmore estimate the canal would cost?": what something costs is a sum of money.
  if (COST_ASKED.test(question)) return MONEY;
  const m = MEASURE_ASKED.exec(question);
  const noun = m?.[1]?.toLowerCase();
  if (!m || noun === undefined) return undefined;
  // "What option makes range checks…": a verb before the noun ends the wh-phrase; the measure is not its head.
  const verbs = verbsOf(question);
  if (verbs.size > 0 && words(m[0]).slice(0, -1).some((w) => verbs.has(w))) return undefined;
  // "What dollar estimate…", "what figure in dollars…": a sum of money, whatever the noun.
  return (MEASURE_UNITS as Record<string, RegExp>)[noun] ?? (/\bdollars?\b/i.test(question) ? MONEY : null);
}

/**
 * "Which version of…", "what's the minimum Node.js version…", "in which release…": the wh-phrase's head is
 * a version, and a version is written with digits ("2.0.0", "v18", "^20.9.0"). Not "which part of the version".
 */
const VERSION_ASKED =
  /\b(?:which|what)(?:'s|\s+(?:is|was|are|were))?(?:\s+(?:the|a))?(?:\s+(?!of\b)[\w.'-]+){0,3}?\s+(?:versions?|releases?)\b/i;
/** A version number: "1.13.0", "v18", "9.0", "^20.9.0", ">=1.2.3 <1.3.0-0", "2.x", ">= 14", "Node.js 18". */
export const VERSION =
  /(?:[\^~]|[<>]=?|=)?\bv?\d+(?:\.(?:\d+|x))+(?:-[\w.]+)?\b|\bv\d+\b|[<>]=?\s?\d+\b|\b(?:node(?:\.js)?|version|release)\s\d+\b/gi;

const HAS_VERSION = new RegExp(VERSION.source, 'i');

export function versionAsked(question: string): boolean {
  return VERSION_ASKED.test(question);
}

/** Questions whose answer must be a number or a date: without one in the sentence, there is no answer. */
export function answerTypeRequired(q: AnalysedQuestion): boolean {
  return q.type === 'how-many' || q.type === 'when' || measureAsked(q.question) !== undefined;
}

/** Whether a sentence contains the kind of thing the question asks for (a number, a date, a name...). */
export function hasAnswerType(
  q: AnalysedQuestion,
  sentence: string,
  similar: (a: string, b: string) => number = () => 0,
): boolean {
  const text = foldTypography(sentence);
  if (q.type === 'what' && measureAsked(q.question) !== undefined) return PATTERNS['how-many'].test(text);
  if (versionAsked(q.question)) return HAS_VERSION.test(text);
  if (q.type === 'what' || q.type === 'yes-no') return true;
  if (q.type === 'how-many' && q.counted.length) return countsTheThing(q.counted, text, similar, q.stems);
  const pattern = PATTERNS[q.type];
  if (q.type === 'why') return pattern.test(text);
  // The name, place or date must be news to the question: "Which AP journalist..." is not answered by a
  // sentence whose only name is "Associated Press".
  return [...text.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))].some((m) =>
    words(m[0]).some((w) => !q.stems.has(stemWord(w))),
  );
}

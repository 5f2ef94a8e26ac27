import type { AnalysedQuestion } from './question.ts';
import { MEASURE_UNITS, measureAsked, RATIO, VERSION, versionAsked } from './answer-kinds.ts';
import { isStopword, stemWord, words } from '../../store/lexical/words.ts';
import { wordNet } from './wordnet.ts';

/** A short answer inside a unit, as offsets into the unit's text. */
export interface Span {
  text: string;
  start: number;
  end: number;
}

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December|Jan\\.|Feb\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\.';
const DATE = new RegExp(
  [
    `\\b(?:${MONTHS})\\s+\\d{1,2}(?:st|nd|rd|th)?\\b(?:,?\\s+\\d{4})?`,
    `\\b\\d{1,2}\\s+(?:${MONTHS})(?:\\s+\\d{4})?`,
    `\\b(?:(?:early|late|mid)-?\\s?)?(?:${MONTHS})(?:\\s+(?:of\\s+)?\\d{4})?`,
    '\\b(?:1[5-9]|20)\\d\\d\\b',
    '\\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\\b',
    '\\b(?:yesterday|today|tonight|tomorrow|last (?:night|week|month|year)|next (?:week|month|year))\\b',
    "\\b(?:on )?the (?:eve of the )?anniversary of [\\w '’-]{3,60}?(?=[,.;:]|$)",
  ].join('|'),
  'g',
);
const ASKS_YEAR = /\b(?:what|which) year\b/i;
const YEAR_IN = /\b(?:1[5-9]|20)\d\d\b/;
/** "On what date…" is answered by a calendar date, not "tonight" or "the anniversary of…". */
const ASKS_DATE = /\b(?:what|which) (?:date|day)\b/i;
/** "Exactly how many…", "on what exact date…": an approximate amount or a month alone doesn't answer. */
const EXACT = /\bexact(?:ly)?\b/i;
export const exactAsked = (question: string): boolean => EXACT.test(question);
const APPROXIMATE = /^(?:about|around|nearly|almost|over|under|more than|less than|fewer than|up to|some|roughly|at least)\b/i;
/** An amount that says how many: a digit or a count word ("a million", "three hundred"), not a scale alone. */
const COUNTED_AMOUNT = /\d|\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|dozen|half|third|quarter|fourth|fifth|tenth)\b/i;
const DAY_OF_MONTH = new RegExp(`\\b(?:${MONTHS})\\.?\\s+\\d{1,2}\\b|\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?:${MONTHS})|\\d{4}-\\d{2}-\\d{2}`);
const CALENDAR = new RegExp(`\\d|\\b(?:${MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)`);
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|dozens|hundreds|thousands|millions|billions|half|third|quarter|fourth|fifth|tenth';
/** Where another amount starts: a digit or a number word that is not a scale ("5 billion" is one amount). */
const NEXT_AMOUNT = new RegExp(`(?<=\\s)(?:\\d|(?:${NUMBER_WORDS.split('|').filter((w) => !/^(?:hundred|thousand|million|billion|trillion)s?$/.test(w)).join('|')})\\b)`, 'i');
// A ratio ("One in 10 Americans") is one amount.
const RATIO_START = new RegExp(`^${RATIO}`, 'i');
const QUANTITY = new RegExp(
  `(?:\\b(?:about|around|nearly|almost|over|under|more than|less than|fewer than|up to|some|roughly|at least)\\s+)?` +
    `(?:[$£€]\\s?)?(?:${RATIO}|\\d+\\/\\d+|\\d[\\d,]*(?:\\.\\d+)?|\\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten)\\s+(?:${NUMBER_WORDS})\\b|\\b(?:${NUMBER_WORDS})\\b)` +
    // "one hundred and thirty million": "and" after hundred or thousand joins one number.
    `(?:(?:[\\s-]+|(?<=\\b(?:hundred|thousand))\\s+and\\s+)(?:${NUMBER_WORDS}|percent|per cent)s?\\b)*(?:%|[x×]\\b)?` +
    // The words after an amount never swallow the next one ("August 6 when thousands of troops").
    `(?:[\\s-]+(?!(?:${NUMBER_WORDS})\\b)(?:[a-z]+)){0,2}`,
  'gi',
);
/**
 * Runs of capitalised words, allowing "of"/"the" and initials inside: "Mikhail Podolyak", "Bank of England".
 * A short number can end one ("Channel 24", "Apollo 11", "Boeing 737"); a year or an amount cannot.
 */
const NAME = /\b\p{Lu}[\p{L}'’.-]*(?:[ \t]+(?:(?:of|the|de|von|van|al|bin)[ \t]+)?\p{Lu}[\p{L}'’.-]*)*(?:[ \t]\d{1,3}\b(?![,.]\d|[ \t]*(?:%|per ?cent)))?/gu;
/** Abbreviations a name goes on after ("Gen. Smith"); any other word ending in a full stop ends it. */
const TITLE_ABBREVIATION = /^(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Col|Capt|Lt|Sgt|Jr|Sr|Prof|Rev|Hon|Mt|Ft)$/;

/** A name ends at a sentence's full stop: "Belarus. After" is "Belarus". */
function nameUntilStop(name: string): string {
  const tokens = name.split(/[ \t]+/);
  const stop = tokens.findIndex((t, i) => i < tokens.length - 1 && /\p{L}{2,}\.$/u.test(t) && !TITLE_ABBREVIATION.test(t.slice(0, -1)));
  return stop < 0 ? name : name.slice(0, name.indexOf(tokens[stop] as string) + (tokens[stop] as string).length);
}
/** Inline code (the text between backticks) and command-line flags ("-c", "--json", "-j/--json"). */
const CODE = /`([^`\n]{1,80})`|(?<![\w-])--?[a-z][\w-]*(?:\/--?[a-z][\w-]*)?/gi;
const LEADING_NOISE = /^(?:The|A|An|In|On|At|But|And|This|That|He|She|It|They|We|I|Our|Their|His|Her|Its|My|Your|Mr|Mrs|Ms|Dr)\b\.?\s*/;

/** Words of the unit a quantity may name after its number ("14,000 miles"): never a function word. */
const UNIT_STOP = /^(?:the|a|an|of|to|in|on|at|and|or|but|that|this|is|was|were|are|be|by|for|from|with|as|it|its|their|his|her|which|who|has|had|have|will|would|than|more|per|into|since|after|before|along|across|last|next|each|every|ago|also|only|now|then|so|too|unless|if|when|while|because|although|until)$/i;

/** Some word of the span is not in the question; a title is not news ("President McKinley" for "McKinley's assassin"). */
function isNew(text: string, q: AnalysedQuestion): boolean {
  return words(text.replace(TITLED, '')).some((w) => !q.stems.has(stemWord(w)));
}

const NUMERIC = new RegExp(`^(?:[$£€]?\\d[\\d,]*(?:\\.\\d+)?%?|${NUMBER_WORDS}|a|an|percent|per|cent)$`, 'i');

/** "two-thirds", "twenty-five": number words joined by a hyphen are one number. */
const NUMBER_WORD = new RegExp(
  `^(?:${NUMBER_WORDS}|thirds|quarters|fourths|fifths|tenths)(?:-(?:${NUMBER_WORDS}|thirds|quarters|fourths|fifths|tenths))*$`,
  'i',
);

/** Keeps the qualifier, the number and at most one noun after it: "more than 120,000 troops", "$5 billion". */
function trimQuantity(m: string): string {
  const ratio = RATIO_START.exec(m.trim());
  if (ratio) {
    const next = m.trim().slice(ratio[0].length).split(/\s+/)[1];
    return next && /^[a-z]+$/i.test(next) && !UNIT_STOP.test(next) ? `${ratio[0]} ${next}` : ratio[0];
  }
  const tokens = m.trim().split(/[\s]+/);
  const firstNumber = tokens.findIndex((t) => /\d/.test(t) || NUMBER_WORD.test(t));
  if (firstNumber < 0) return '';
  // "2022, Russian": punctuation after the number ends the quantity.
  if (/[,.;:]$/.test(tokens[firstNumber] as string)) {
    return tokens.slice(0, firstNumber + 1).join(' ').replace(/[,.;:]+$/, '');
  }
  let end = firstNumber + 1;
  while (
    end < tokens.length &&
    (NUMERIC.test(tokens[end] as string) ||
      (tokens[end] === 'and' && /^(?:hundred|thousand)$/i.test(tokens[end - 1] as string) && NUMBER_WORD.test(tokens[end + 1] ?? '')))
  ) {
    end++;
  }
  const next = tokens[end];
  if (next && /^[a-z]+$/i.test(next) && !UNIT_STOP.test(next)) end++;
  return tokens.slice(0, end).join(' ').replace(/[,.;:]+$/, '');
}

function* matches(re: RegExp, text: string): Generator<Span> {
  for (const m of text.matchAll(re)) {
    yield { text: m[0], start: m.index, end: m.index + m[0].length };
  }
}

/**
 * An amount that is only one of these words (with a qualifier at most): too often not an amount at all, and
 * "billions" or "thousands" alone says how big, not how much.
 */
const WEAK_NUMBER = /^(?:(?:about|around|nearly|almost|over|under|some|roughly|at least)\s+)?(?:a|an|one|half|third|quarter|fourth|fifth|tenth|dozen|dozens|hundreds|thousands|millions|billions|trillions)(?:\s+[a-z]+)?$/i;

/** An amount's words and the few after it: "thousands of Kiev troops" counts the troops. */
export function amountWords(text: string, s: Span): string[] {
  return [...words(s.text), ...words(text.slice(s.end, s.end + 40)).slice(0, 4)];
}

const HOW_OFTEN = /\bhow (?:often|frequently)\b/i;
const FREQUENCY =
  /\b(?:(?:almost|nearly|about|roughly)\s+)?(?:daily|weekly|monthly|yearly|annually|hourly|nightly|once|twice|every (?:day|week|month|year|\w+ (?:days|weeks|months|years))|\w+ times (?:a|per|each) (?:day|week|month|year)|(?:each|per|a) (?:day|week|month|year))\b/gi;
const VAGUE_DURATION = /\b(?:(?:just|only|a few|several|mere|within|some)\s+)?(?:seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b/gi;

/** What "how old / how far / how long / how much money / what share" questions measure in. */
const MEASURES: Array<[RegExp, RegExp]> = [
  [/\bhow old\b/i, MEASURE_UNITS.age],
  [/\bhow far\b|\bwhat (?:distance|range)\b/i, MEASURE_UNITS.distance],
  [
    /\bhow long\b/i,
    /\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centur(?:y|ies)|miles?|kilomet(?:er|re)s?|km|feet|met(?:er|re)s?|characters?|chars?|bytes?|digits?|lines?|words?|letters?)\b/i,
  ],
  [
    /\bhow (?:much|big|large|small)\b.*\b(?:money|cost|costs|spend|spent|budget|fund|funds|funding|pay|paid|price|worth|save|saved|tax|taxes|deficit|debt|revenue|wage|wages|salary|income|raise|bonus|fee|fine|pension|loan|grant|aid|subsidy|tariff|dollars?)\b|\bhow much (?:money|did)\b/i,
    MEASURE_UNITS.price,
  ],
  [/\bwhat (?:percentage|percent|share|fraction|proportion)\b/i, MEASURE_UNITS.share],
  [
    /\bhow fast\b|\bwhat speed\b/i,
    /\b(?:mph|km\/h|kph|knots?|mach|speed of sound|faster|slower|rate|percent|per cent|(?:an?|per) (?:hour|minute|second|day|week|month|year))\b|\d\s*[x×%]/i,
  ],
  // Every so often, or once in an interval ("default: 2000ms").
  [HOW_OFTEN, new RegExp(`${FREQUENCY.source}|\\d\\s*(?:ms|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?)\\b`, 'i')],
];

const CHANGE =
  /\b(?:fall|falls|fell|fallen|rise|rises|rose|risen|drop|drops|dropped|grow|grows|grew|grown|increase[sd]?|decline[sd]?|climb(?:s|ed)?|shrink|shrank|shrunk|cut|reduce[sd]?|go(?:ne)? (?:up|down)|went (?:up|down))\b/i;

const VAGUE_PLACE = /^(?:region|area|place|part|territory|location|spot|site|zone|district)s?$/;

/** Which named things a "who/where/which X" question accepts, checked in WordNet. */
function fitsCategory(
  name: string,
  category: string[],
  type: AnalysedQuestion['type'],
  people: ReadonlySet<string>,
): boolean {
  const wn = wordNet();
  // The head is the last word, not a number after it ("Channel 24": WordNet knows 24 as a number).
  const head = name.split(/\s+/).filter((w) => !/^\d+$/.test(w)).pop()?.toLowerCase().replace(/['’]s$/, '') ?? '';
  const full = name.toLowerCase();
  // "Which region / area / part": any place answers (WordNet files Appalachia under another sense of region).
  const anyPlace = category.length > 0 && category.every((c) => VAGUE_PLACE.test(c));
  const kinds =
    category.length && !anyPlace ? category : type === 'where' || anyPlace ? ['location'] : type === 'who' ? ['person', 'organization'] : [];
  if (kinds.length === 0) return true;
  if (adjectiveOnly(name)) return false;
  const known = wn.senses(full.replace(/ /g, '_'), 'noun').length > 0 || wn.senses(head, 'noun').length > 0;
  // A name WordNet has never heard of may still be right (most people, agencies): only a known wrong kind
  // rules it out, or, for a place or a newspaper, the documents calling it a person ("Mr Lukashenko": "from
  // Lukashenko" is not where).
  if (!known) return !(people.has(head) && !kinds.some((k) => k === 'person' || wn.isA(k, 'person')));
  return kinds.some((k) => wn.isA(full, k) || wn.isA(head, k));
}

/**
 * A nationality or other adjective ("Ukrainian", "American"): no one's name, nor a place's. With `plural`, its
 * plural too ("Americans"): no person's name, though a group may answer "who opposed it?" ("Republicans").
 */
function adjectiveOnly(name: string, plural = false): boolean {
  const word = name.toLowerCase();
  const forms = plural ? [word, word.replace(/s$/, '')] : [word];
  return !name.includes(' ') && forms.some((w) => wordNet().senses(w, 'adj').length > 0);
}

/**
 * A name that may be a person's: no place or group WordNet knows, nor a nationality ("Americans"), nor a title
 * ("Mr. Vice President", "Prime Minister": a common noun of several words names an office, not its holder).
 */
function personName(name: string, q: AnalysedQuestion, people: ReadonlySet<string>): boolean {
  const title = /[\s-]/.test(name) && wordNet().commonNoun(name.toLowerCase().replace(/[\s-]+/g, '_'));
  return !title && !namedByQuestion(name, q) && fitsCategory(name, ['person'], q.type, people) && !adjectiveOnly(name, true);
}

/**
 * A full name whose last word the question has is the one the question names, not the one it asks for:
 * "Sir John Franklin" for "who gave the ships for the Franklin search?", "John F. Kennedy" for "whom did
 * Kennedy appoint?".
 */
function namedByQuestion(name: string, q: AnalysedQuestion): boolean {
  const last = words(name).pop();
  return /\s/.test(name.trim()) && last !== undefined && q.stems.has(stemWord(last));
}

/**
 * The short answer a who / when / where / how-many / which question asks for, inside `unit`: a date, a
 * quantity with its unit, a name or a place that the question itself does not already contain.
 */
export function findSpan(q: AnalysedQuestion, unit: string, people: ReadonlySet<string> = new Set()): Span | null {
  // Offsets must index the unit as written (folding would shift them), so the raw text is searched.
  const text = unit;
  const pick = <S extends Span>(candidates: Iterable<S>, ok: (s: S) => boolean = () => true): Span | null => {
    for (const s of candidates) {
      if (isNew(s.text, q) && ok(s)) return { text: unit.slice(s.start, s.end), start: s.start, end: s.end };
    }
    return null;
  };
  // "In what year…" is answered by a year, not "the eve of the anniversary".
  if (q.type === 'when') {
    return pick(
      matches(DATE, text),
      (s) =>
        (!ASKS_YEAR.test(q.question) || YEAR_IN.test(s.text)) &&
        (!ASKS_DATE.test(q.question) || CALENDAR.test(s.text)) &&
        (!EXACT.test(q.question) || DAY_OF_MONTH.test(s.text)),
    );
  }
  if (versionAsked(q.question)) return pick(matches(VERSION, text));
  const measureNamed = measureAsked(q.question);
  if (q.type === 'how-many' || measureNamed !== undefined) {
    const asksTime = /\bhow long\b/i.test(q.question);
    const found: Span[] = [];
    for (const s of matches(QUANTITY, text)) {
      const t = trimQuantity(s.text);
      if (!/\d|[a-z]/i.test(t)) continue;
      // A day of a date ("February 24, 2022") or a digit inside a name ("Satan-2", "v4", "uuid@11", "ES2015")
      // is not an amount.
      const before = text.slice(Math.max(0, s.start - 12), s.start);
      if (new RegExp(`(?:${MONTHS})\\s*$`).test(before) || /[\p{L}@_]-?$/u.test(before)) continue;
      if (/^\d{1,2}(?:st|nd|rd|th)?,?\s+(?:1[5-9]|20)\d\d\b/.test(text.slice(s.start, s.start + 12))) continue;
      // A bare year is a date, not an amount, unless the question asks how long.
      // "2000ms" is an amount ("1990s" still a date).
      const unitJoined = /^[a-rt-z]/i.test(text.slice(s.start + t.length));
      if (!asksTime && !unitJoined && /^(?:\D+\s)?(1[5-9]|20)\d\d$/.test(t)) continue;
      // Nor a year followed by what is not a noun: "in 1861 amounted to…" counts nothing.
      const wordAfter = /^(?:\D+\s)?(?:1[5-9]|20)\d\d\s+([a-z]+)$/i.exec(t)?.[1]?.toLowerCase();
      if (!asksTime && wordAfter && (wordNet().lemmas(wordAfter, 'noun').length === 0 || /ed$/.test(wordAfter))) continue;
      const joined = unitJoined && /\d$/.test(t) ? (/^[a-z]+/i.exec(text.slice(s.start + t.length))?.[0] ?? '') : '';
      found.push({ text: t + joined, start: s.start, end: s.start + t.length + joined.length });
    }
    // "How long after…" → "just hours after", "how often…" → "almost daily": no number, still the answer.
    const vague = asksTime ? VAGUE_DURATION : HOW_OFTEN.test(q.question) ? FREQUENCY : null;
    if (vague) found.push(...matches(vague, text));
    // Prefer the amount followed by what the question counts ("how many troops" → "120,000 troops").
    const head = q.counted[q.counted.length - 1];
    // Not an amount the question already says: "2 bombers" (of "the B - 2 bombers") does not answer "how many B-2
    // bombers", and must not hide the "20 planes" that does.
    const counted = head
      ? found.filter((s) => isNew(s.text, q) && amountWords(text, s).some((w) => stemWord(w) === stemWord(head)))
      : [];
    // "How far had the deficit fallen", "by how much did income rise": a change, in whatever it is measured.
    const measure = CHANGE.test(q.question) ? null : (MEASURES.find(([asks]) => asks.test(q.question))?.[1] ?? measureNamed);
    return pick(counted.length ? counted : found, (s) => {
      // "Exactly how much…": "many million dollars" names a scale, not an amount.
      if (EXACT.test(q.question) && (APPROXIMATE.test(s.text) || !COUNTED_AMOUNT.test(s.text))) return false;
      if (!new RegExp(`\\d|\\b(?:${NUMBER_WORDS})\\b`, 'i').test(s.text)) return vague !== null && new RegExp(vague.source, 'i').test(s.text);
      // A lone "one", "half" or "quarter" ("One key to it…", "in that quarter") is a word, not an amount,
      // unless it counts what was asked about or is a fraction of something ("a third of its land").
      const fractionOf = /\b(?:half|third|quarter|fourth|fifth|tenth)$/i.test(s.text) && /^\s+of\b/.test(text.slice(s.end, s.end + 4));
      if (!counted.length && WEAK_NUMBER.test(s.text) && !fractionOf) return false;
      // "How old", "how far", "how much money"...: the amount must be of that measure ("67-year-old",
      // "14,000 miles", "$5 billion", "at age 9"), looked for in the span and the words around it.
      // The words after it end where another amount begins: "a 4-year period, of half a million units" is no sum.
      const after = text.slice(s.end, s.end + 25);
      const next = after.search(NEXT_AMOUNT);
      return !measure || measure.test(text.slice(Math.max(0, s.start - 8), s.end) + (next < 0 ? after : after.slice(0, next)));
    });
  }
  // "Who is Mikhail Podolyak?" asks what he is, not for another name: the apposition after his name
  // ("Mikhail Podolyak, adviser to the head of the President's Office, …") or what he "is".
  const defined = q.type === 'who' ? DEFINITION.exec(q.question)?.[1] : undefined;
  if (defined) return pick(appositions(text, defined));
  const named = nameAsked(q.question);
  if (q.type === 'who' || q.type === 'where' || q.category.length || named) {
    const names: Array<Span & { code?: boolean }> = [];
    for (const s of matches(NAME, text)) {
      const lead = s.text.match(LEADING_NOISE)?.[0].length ?? 0;
      const t = nameUntilStop(s.text.slice(lead)).replace(/[.,'’]+$/, '');
      if (t.length < 2) continue;
      // A word capitalised only because it starts the sentence ("Those", "Last", "Every") is no name.
      const first = t.split(/\s+/)[0]?.toLowerCase() ?? '';
      const atStart = /^\W*$/.test(text.slice(0, s.start + lead)) || /[.!?:]["'”’]?\s+["'“‘]?$/.test(text.slice(0, s.start + lead));
      if (atStart && !t.includes(' ') && (isStopword(first) || CLOSED_CLASS.has(first) || startsAsWord(first) || commonNounOnly(first))) continue;
      names.push({ text: t, start: s.start + lead, end: s.start + lead + t.length });
      // "the St. Louis Exposition", "the Geneva Conference": a place named before a common noun.
      const prefix = t.match(/^(.+?)\s+\p{Lu}\p{Ll}+$/u)?.[1];
      const last = t.split(/\s+/).pop()?.toLowerCase() ?? '';
      // Not a person's name ending in a word that is also a common noun ("Sir John Franklin": a franklin).
      if (prefix && q.type !== 'who' && wordNet().commonNoun(last) && !wordNet().isA(last, 'person')) {
        names.push({ text: prefix, start: s.start + lead, end: s.start + lead + prefix.length });
      }
    }
    // In technical text the options, functions and commands asked for ("which option…", "what flag…") are
    // inline code or command-line flags, not capitalised words; never the answer to "which city".
    if (q.type !== 'who' && q.type !== 'where' && q.category.length && !asksForNamedKind(q)) {
      for (const m of text.matchAll(CODE)) {
        const inner = m[1] === undefined ? 0 : 1;
        const t = (m[1] ?? m[0]).trim();
        if (t) names.push({ text: t, start: m.index + inner, end: m.index + inner + t.length, code: true });
      }
    }
    // Of several names, the one nearest the words the question shares with the sentence is the answer:
    // "Who reacted sharply…" → the name beside "reacted sharply", not the first name of the sentence.
    const anchors = [...text.matchAll(/[\p{L}\p{N}]+/gu)]
      .filter((m) => !isStopword(m[0].toLowerCase()) && q.stems.has(stemWord(m[0].toLowerCase())))
      .map((m) => m.index);
    if (anchors.length > 0) {
      const distance = (s: Span) => Math.min(...anchors.map((a) => (a < s.start ? s.start - a : Math.max(0, a - s.end))));
      names.sort((a, b) => distance(a) - distance(b));
    }
    // "Who" is answered by a person first: "Mikhail Podolyak" before "President's Office".
    if (q.type === 'who') names.sort((a, b) => Number(personish(b.text)) - Number(personish(a.text)));
    if (q.type === 'where') {
      // A place is what follows "in", "at", "near"...: prefer those names over others in the sentence.
      const placed = names.filter((s) => /\b(?:in|at|near|from|to|into|outside|inside)\s+(?:the\s+)?$/i.test(text.slice(Math.max(0, s.start - 12), s.start)));
      return pick([...placed, ...names], (s) => nameLike(s.text) && !TITLED.test(s.text) && fitsCategory(s.text, q.category, q.type, people));
    }
    // "Who was the minister to Spain…", "the name of the citizen who…": a person's name, not "United States".
    const person = personRole(q.question);
    if (q.type === 'who') {
      return pick(
        names,
        (s) =>
          nameLike(s.text) &&
          (person ? personName(s.text, q, people) : !namedByQuestion(s.text, q) && fitsCategory(s.text, q.category, q.type, people)),
      );
    }
    if (named) {
      const role = roleHead(q.question);
      return pick(
        names,
        (s) =>
          nameLike(s.text) &&
          !adjectiveOnly(s.text) &&
          (person ? personName(s.text, q, people) : !role || !institutionOtherThan(s.text, role)),
      );
    }
    if (q.category.length) {
      // "Which CLI flag…" is answered by a flag ("-p", "--silent"), not by any inline code ("`{{`").
      const flag = /^(?:flag|switch)(?:es|s)?$/.test(q.category[q.category.length - 1] ?? '');
      return pick(
        names,
        (s) => (s.code === true && (!flag || /^--?[a-z]/i.test(s.text))) || (nameLike(s.text) && fitsCategory(s.text, q.category, q.type, people)),
      );
    }
  }
  return null;
}

/** "What was the name of the governor…", "what was the official name…": a name answers, nothing else does. */
const NAME_ASKED = /\bwhat(?:'s|\s+(?:is|was|were|are))\s+(?:the|its|his|her|their)\s+(?:[a-z]+\s+)?names?\b/i;

export function nameAsked(question: string): boolean {
  return NAME_ASKED.test(question);
}

/**
 * The one asked about by role: "who was the (newly appointed US) minister…", "who was chosen as the arbitrator…",
 * "the name of the (New York) citizen…".
 */
const ROLE = /\b(?:who\s+(?:is|was|are|were)(?:\s+(?:chosen|named|appointed|elected|picked|selected)\s+as)?|names?\s+of)\s+(?:the|a|an|its|his|her|their|\p{Lu}[\p{L}.-]*['’]s)\s+((?:[\p{L}-]+\s+){0,4}?[\p{L}-]+)(?=\s+(?:of|to|in|at|for|from|on|with|who|whom|whose|that|which|under|during)\b|\s*[,?]|\s*$)/iu;

/**
 * "The name of the British warship…" is not "Congress" nor "British Government": a common noun WordNet knows as
 * a group or a place (after adjectives only) names that institution, not the ship. A ship or a programme may
 * bear a common word of another kind ("Endeavour").
 */
function institutionOtherThan(name: string, role: string): boolean {
  const wn = wordNet();
  const words = name.split(/\s+/);
  const word = (words.pop() as string).toLowerCase();
  // "British Government" too: adjectives before the common noun, not a name's own words ("Peace Corps").
  if (!words.every((w) => adjectiveOnly(w)) || !wn.commonNoun(word)) return false;
  const kinds = [...NAMED_KINDS, 'social_group'].filter((k) => wn.isA(word, k, 1));
  return kinds.length > 0 && !kinds.some((k) => wn.isA(role, k, 2));
}

/** The role's head noun: "arbitrator", "assassin", "Commissioner-General" (lower-cased). */
function roleHead(question: string): string | undefined {
  return ROLE.exec(question)?.[1]?.split(/\s+/).pop()?.toLowerCase();
}

/** Whether the question asks for a person by role: only a person's name then answers it, not a place's. */
export function personRole(question: string): boolean {
  const head = roleHead(question);
  // "Commissioner-General": a compound names a person when one of its words does ("general" first means a fact).
  return head !== undefined && head.split('-').some((w) => wordNet().isA(w, 'person', 1));
}

const DEFINITION = /^\s*[Ww]ho\s+(?:is|was|are|were)\s+((?:\p{Lu}[\p{L}'’.-]*\s*)+)\??\s*$/u;

/**
 * "Who did…", "which senator…" (a category whose first WordNet sense is a person): a person answers. Not
 * "who is <Name>?", answered by what the one named is.
 */
export function personAsked(q: AnalysedQuestion): boolean {
  const head = categoryHead(q);
  return (q.type === 'who' && !DEFINITION.test(q.question)) || (head !== undefined && wordNet().isA(head, 'person', 1));
}

/** What a sentence says a named one is: "Name, <role>," or "Name is/was a <role>". */
function* appositions(text: string, name: string): Generator<Span> {
  const last = name.trim().split(/\s+/).pop() as string;
  const escaped = last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`\\b${escaped}(?:,\\s+|\\s+(?:is|was)\\s+(?=an?\\s|the\\s))((?:an?\\s+|the\\s+)?\\p{Ll}[^,.;:!?()“”"]{2,80}?)(?=[,.;:!?()]|$)`, 'gu');
  for (const m of text.matchAll(re)) {
    const role = m[1] as string;
    const start = m.index + m[0].length - role.length;
    yield { text: role, start, end: start + role.length };
  }
}

/**
 * Kinds of things only a name answers: "which city", "which country". Kept to places: people and
 * organisation words have technical senses ("server", "client", "agent") that a name need not answer.
 */
const ENTITY_KINDS = ['location'];

/** Kinds of things a name answers. */
const NAMED_KINDS = ['person', 'location', 'organization'];

/**
 * Whether the answer is a name: "who", "where", or a category whose first WordNet sense is a person, a
 * place or an organisation ("which journalist / city / agency"). "What version / project / goal" is not:
 * its answer is a phrase, and no name in the sentence is a sign that it is missing.
 */
export function asksForName(q: AnalysedQuestion): boolean {
  const wn = wordNet();
  const head = categoryHead(q);
  return q.type === 'who' || q.type === 'where' || (head !== undefined && NAMED_KINDS.some((k) => wn.isA(head, k, 1)));
}

/** The question asks for a named thing of a kind (city, country, journalist...), so the answer must name one. */
export function asksForNamedKind(q: AnalysedQuestion): boolean {
  const wn = wordNet();
  const head = categoryHead(q);
  // Its first two senses: "which terminal" (a program) or "what tax break" asks for no place, though a third
  // sense of each is one; "which country / island / village" still does.
  return head !== undefined && ENTITY_KINDS.some((k) => wn.isA(head, k, 2));
}

/**
 * The category's head noun, its last: an "environment variable" is a variable, not a place, and a "news
 * organisation" an organisation.
 */
function categoryHead(q: AnalysedQuestion): string | undefined {
  return q.category[q.category.length - 1];
}

/** "Wealth" opening a sentence: a common noun that names no person, place or group ("China", "Congress" do). */
function commonNounOnly(word: string): boolean {
  const wn = wordNet();
  return wn.commonNoun(word) && ![...NAMED_KINDS, 'social_group'].some((k) => wn.isA(word, k));
}

/** Conjunctions and prepositions, which WordNet (nouns, verbs, adjectives, adverbs) does not list: "Although…". */
const CLOSED_CLASS = new Set(
  'although though whereas unless whether upon within without throughout toward towards beyond among amongst via whilst lest'.split(' '),
);

/** A common word WordNet knows as an adjective, adverb or verb ("Last", "Every", "Let"), not a name. */
function startsAsWord(word: string): boolean {
  const wn = wordNet();
  return wn.senses(word, 'adj').length + wn.senses(word, 'adv').length + wn.senses(word, 'verb').length > 0;
}

/** A name that starts with a title names a person: "Colonel McRee" is not where. */
const TITLES = 'Mr|Mrs|Ms|Dr|Gen|General|Sen|Senator|Rep|Gov|Governor|Col|Colonel|Capt|Captain|Lt|Lieutenant|Sgt|Sergeant|Prof|Professor|Rev|President|Minister|Judge|Justice|Secretary|King|Queen';
const TITLED = new RegExp(`^(?:${TITLES})\\b\\.?\\s`);
const TITLED_NAME = new RegExp(`\\b(?:${TITLES})\\.?[ \\t]+(?:\\p{Lu}[\\p{L}'’-]+[ \\t]+)?(\\p{Lu}[\\p{L}'’-]+)`, 'gu');

/** A name that speaks: "Lukashenko said", "Podolyak added". */
const SPEAKER = /\b(\p{Lu}[\p{L}'’-]+)[ \t]+(?:said|says|told|tells|added|adds|warned|stated|claimed|argued|insisted|wrote|announced|replied|urged|explained|noted|stressed|admitted|boasted|declared)\b/gu;

/**
 * Surnames a text gives a title ("Mr Lukashenko", "President Alexander Lukashenko") or has speak
 * ("Lukashenko said"), lower-cased: people, or at least no place.
 */
export function peopleIn(text: string): Set<string> {
  const names = [...text.matchAll(TITLED_NAME), ...text.matchAll(SPEAKER)].map((m) => m[1] as string);
  return new Set(names.map((n) => n.replace(/['’]s$/, '').toLowerCase()));
}

/** A title alone ("President") names no one. */
const TITLE_ONLY = new RegExp(`^(?:${TITLES})\\.?$`);

/**
 * What a capitalised run must be to name someone or somewhere: not only function words or a contraction's
 * end ("Since", "'d"), not a common noun's plural ("Members", "Governments"), not a run ending in "I"
 * ("Tonight I", "Latin America I": the sentence's subject, not part of the name), not a title alone.
 */
function nameLike(text: string): boolean {
  if (/\sI$/.test(text) || TITLE_ONLY.test(text)) return false;
  const ws = words(text);
  if (ws.every((w) => isStopword(w) || w.length < 2)) return false;
  if (ws.length === 1) {
    const w = ws[0] as string;
    const wn = wordNet();
    const lemmas = wn.lemmas(w, 'noun');
    if (!lemmas.includes(w) && lemmas.some((l) => wn.commonNoun(l))) return false;
  }
  return true;
}

/** Every word of the name is unknown to WordNet as a common noun, or names a person. */
function personish(name: string): boolean {
  const wn = wordNet();
  return words(name).every((w) => wn.senses(w, 'noun').length === 0 || wn.isA(w, 'person'));
}

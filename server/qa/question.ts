import type { ChatTurn } from './contract.ts';
import winkNLP from 'wink-nlp';
import { englishModel } from '../../ingest/english-model.ts';
import { foldTypography, isStopword, stemWord, words } from '../../store/lexical/words.ts';
import { wordNet } from './wordnet.ts';

export type QuestionType = 'who' | 'when' | 'where' | 'how-many' | 'why' | 'yes-no' | 'what';

export interface QueryTerm {
  /** The stemmed term as indexed. */
  stem: string;
  /** The word as the user wrote it (for messages). */
  word: string;
  /** 1 for the question's own words, less for words carried over from the conversation. */
  weight: number;
  /** A name or a number ("Doha", "1962", "JFK"): an answer can't do without it, so its absence weighs more. */
  entity?: boolean;
  /** Written in capitals ("JFK", "UN"): may be an initialism of a name the corpus spells out. */
  initialism?: boolean;
  /** A word of the question itself (not carried over from the conversation). */
  own?: boolean;
  /** The WordNet verb or adverb phrase the word is part of ("give_back", "get_rid_of", "right_away"). */
  phrase?: string;
}

export interface AnalysedQuestion {
  question: string;
  type: QuestionType;
  /** The question with the conversation's subject added, used for dense retrieval. */
  searchText: string;
  terms: QueryTerm[];
  /** For "how many X ...": the words naming X (e.g. ["ukrainian", "troops"]), else empty. */
  counted: string[];
  /** Stems of every word of the question (function words included): what an answer must go beyond. */
  stems: Set<string>;
  /** The question asks for two things ("both...", "..., and when..."): the answer may need two sources. */
  multiPart: boolean;
  /** The nouns naming the kind of answer wanted ("which *city*" → city), lower-cased words. */
  category: string[];
  /** The question asks what someone said, wrote, claimed or warned. */
  attribution: boolean;
  /** The previous answer in the conversation, markers included (a follow-up must not repeat it). */
  previousAnswer: string;
  /** For a follow-up, every key word of the question it follows (the file it named, when it names none). */
  followed: QueryTerm[];
}

const AUXILIARIES = /^(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b/i;

const TYPE_PATTERNS: Array<[QuestionType, RegExp]> = [
  ['how-many', /\bhow (many|much|far|long|old|large|big|fast|often|frequently|high|tall|deep|heavy|wide)\b|\bwhat (number|percentage|share|range)\b/],
  // "When does the CLI exit with a failure?" asks on what condition, not for a date ("when did…" does). Opening
  // the question (or a clause after a comma) or followed by a past or future auxiliary, "when" asks for a time;
  // elsewhere it opens a clause ("…throws an error when I generate UUIDs", "the event that fires when a client
  // connects").
  ['when', /(?:^|,\s*)(?:(?:and|but|so|then)\s+)?when\b(?!\s+(?:does|do|can|should)\b)|\bwhen\s+(?:did|was|were|will|would|had|has|have|is|are)\b|\b(?:tell me|remind me|recall|know) when\b|\b(what|which)( (exact|specific|precise|particular))? (date|day|month|year|time)\b/],
  // "Where did Eisenhower stand on socialized medicine?" asks for a view, not a place.
  ['where', /\bwhere\b(?![^?,]*\bstands?\b)|\bwhich (country|city|region|place)\b|\bfrom what (country|territory)\b/],
  ['why', /\bwhy\b|\bwhat (caused|was the reason|reason)\b|\bfor what reason\b/],
  ['who', /\bwho(m|se)?\b|\bwhich (person|leader|official|president|journalist)\b/],
  // "How can I find out when an entry expires?" asks for a way, whatever the clause after it asks.
  ['what', /\b(what|which)\b|^how\b/],
];

/**
 * The kind of answer asked for, read from the question's first wh-phrase: in "Which news organisation
 * interviewed him when he said…" the "when" belongs to a subordinate clause.
 */
export function questionType(question: string): QuestionType {
  // "When tracking a run, is the table rendered?" asks yes or no: a leading clause sets the scene only.
  // "My app throws X when I generate UUIDs. What package fixes that?": the sentence that asks is the question.
  const whole = asking(foldTypography(question)).toLowerCase().trim();
  const main = whole.replace(/^(when|if|while|after|before|once|unless|since|by default)\b[^,?]*,\s*/, '');
  const q = main.length > 0 ? main : whole;
  // "Was construction behind schedule when FDR spoke?": a question that opens with an auxiliary asks yes or
  // no; a wh-word later in it belongs to a subordinate clause.
  if (AUXILIARIES.test(q)) return 'yes-no';
  let best: QuestionType | null = null;
  let at = Number.POSITIVE_INFINITY;
  for (const [type, re] of TYPE_PATTERNS) {
    const m = re.exec(q);
    if (m && m.index < at) {
      at = m.index;
      best = type;
    }
  }
  return best ?? 'what';
}

/** The last sentence that ends in a question mark, or the whole text when none does (or only the last). */
function asking(text: string): string {
  // Not after an abbreviation: "Why had the minister at St. Petersburg been instructed…?" is one sentence.
  const sentences = text.trim().split(/(?<=(?<!\b\p{Lu}\p{Ll}{0,2})[.!?])\s+(?=[\p{Lu}"“'‘(])/u);
  return sentences.findLast((s) => s.trimEnd().endsWith('?')) ?? text;
}

/** The first run of capitalised words that is not only function words: "Alexander Lukashenko, a close ally…". */
function firstName(text: string): string[] {
  for (const m of foldTypography(text).matchAll(/\p{Lu}[\p{L}'’-]*(?:\s+\p{Lu}[\p{L}'’-]*)*/gu)) {
    const ws = words(m[0]).filter((w) => !isStopword(w));
    if (ws.length) return ws;
  }
  return [];
}

/** "Who is Mikhail Podolyak?", "Who was Richard Dean, whom…": asks what a named one is. */
const DEFINITION_QUESTION = /^\s*[Ww]ho\s+(?:is|was|are|were)\s+\p{Lu}/u;

const MULTI_PART = /\bboth\b|\btwo\b|\bapart from\b|\band (when|what|where|who|whom|how|why|which)\b/i;

/** "And the following year?", "What about Canada?": a question that only makes sense after the one before. */
const ELLIPSIS = /^\s*(?:and|but|or|also|what about|how about)\b/i;

const PRONOUN = /\b(he|she|him|her|his|hers|they|them|their|it|its|this|that|these|those|there)\b/i;

/** Capitalised words not at the start of the text: names, places, organisations. */
export function properNouns(text: string): string[] {
  const out: string[] = [];
  const re = /(?<![.!?]\s|^)\b\p{Lu}[\p{L}'’-]+/gu;
  for (const m of foldTypography(text).matchAll(re)) {
    const w = m[0].replace(/'s$/, '');
    if (!isStopword(w.toLowerCase())) out.push(w);
  }
  return out;
}

/**
 * What a conversation turn is about: its proper nouns and, as technical text names things in code, its
 * identifiers (`colSpacing`, hideCursor, --coerce): "that option" is one of them.
 */
function subjectsOf(text: string): string[] {
  return [...properNouns(text), ...[...text.matchAll(IDENTIFIER)].map((m) => (m[1] ?? m[0]).replace(/^-+/, ''))];
}

/** Inline code, camelCase words and command-line flags. */
const IDENTIFIER = /`([^`\n]{2,60})`|\b[a-z]+[A-Z][\p{L}\d]*\b|(?<![\w-])--[a-z][\w-]+/gu;

let shared: ReturnType<typeof winkNLP> | null = null;
/**
 * The question reader (wink-nlp with part-of-speech tagging): made on first use or by `loadQuestionReader`,
 * which a server calls while it waits for its index (≈0.35 s of its imports before).
 */
export function loadQuestionReader(): ReturnType<typeof winkNLP> {
  shared ??= winkNLP(englishModel(), ['sbd', 'pos']);
  return shared;
}

/** Weight of a word that names the kind of answer wanted ("which *month*"): it won't be in the answer. */
const CATEGORY_WEIGHT = 0.3;

/**
 * The nouns right after "what"/"which" name the category of the answer, not something the answer
 * sentence repeats: "Which news organisation interviewed him?" is answered by "...the Associated Press".
 */
export function answerCategory(question: string): Set<string> {
  return new Set(categoryNouns(question).map(stemWord));
}

const KIND_OF = /^(kind|kinds|type|types|sort|sorts|form|forms|variety)$/i;

interface Tagged {
  values: string[];
  tags: string[];
  /** The words tagged as verbs, lower-cased. */
  verbs: Set<string>;
}
const taggedMemo = new Map<string, Tagged>();

/** A question's tokens and their part-of-speech tags, tagged once per question (several readers need them). */
function tagged(question: string): Tagged {
  let t = taggedMemo.get(question);
  if (!t) {
    const nlp = loadQuestionReader();
    const doc = nlp.readDoc(question);
    const values: string[] = doc.tokens().out(nlp.its.value);
    const tags: string[] = doc.tokens().out(nlp.its.pos);
    const verbs = new Set(values.filter((_, i) => tags[i] === 'VERB').map((v) => v.toLowerCase()));
    t = { values, tags, verbs };
    if (taggedMemo.size > 10_000) taggedMemo.clear();
    taggedMemo.set(question, t);
  }
  return t;
}

/** The category nouns themselves, lower-cased ("city", "journalist"). */
export function categoryNouns(question: string): string[] {
  const { values, tags } = tagged(question);
  const out: string[] = [];
  values.forEach((v, i) => {
    if (!/^(what|which)$/i.test(v)) return;
    // A capitalised word inside the phrase is part of a name, whatever its tag ("Which Associated Press
    // journalist…": "Associated" is read as a verb).
    const inPhrase = (j: number) => /^(ADJ|NOUN|PROPN|NUM)$/.test(tags[j] as string) || /^\p{Lu}/u.test(values[j] as string);
    for (let j = i + 1; j < values.length && inPhrase(j); j++) {
      // "What kind of timestamp…" asks for a timestamp.
      if (KIND_OF.test(values[j] as string) && values[j + 1]?.toLowerCase() === 'of') {
        j++;
        continue;
      }
      if (tags[j] === 'NOUN') out.push((values[j] as string).toLowerCase());
    }
  });
  return out;
}

/** The words of a question tagged as verbs ("makes" in "what option makes range checks…"), lower-cased. */
export function verbsOf(question: string): Set<string> {
  return tagged(question).verbs;
}

function termsOf(text: string, weight: number): QueryTerm[] {
  const seen = new Set<string>();
  const out: QueryTerm[] = [];
  const names = new Set(properNouns(text).flatMap((n) => words(n)));
  const capitals = new Set([...text.matchAll(/\b\p{Lu}{2,5}\b/gu)].map((m) => m[0].toLowerCase()));
  const ws = words(text);
  const phrases = phrasesOf(ws);
  ws.forEach((w, i) => {
    if (isStopword(w)) return;
    const s = stemWord(w);
    if (seen.has(s)) return;
    seen.add(s);
    const entity = names.has(w) || /^\d/.test(w);
    const phrase = phrases.get(i);
    out.push({
      stem: s,
      word: w,
      weight,
      ...(entity ? { entity } : {}),
      ...(capitals.has(w) ? { initialism: true } : {}),
      ...(phrase ? { phrase } : {}),
    });
  });
  return out;
}

/** Words that mostly open a phrase of their own after a verb rather than finish a phrasal verb. */
const PREPOSITION = /^(?:in|on|at|for|to|with|from|by|into|of|about|as)$/;

/**
 * The verb and adverb phrases WordNet knows among a text's words, by the position of each content word in
 * them: a reader's "give back", "get rid of", "right away" are a README's "returns", "remove",
 * "immediately", which neither word says alone.
 */
function phrasesOf(ws: string[]): Map<number, string> {
  const wn = wordNet();
  const out = new Map<number, string>();
  for (let i = 0; i + 1 < ws.length; i++) {
    for (const length of [3, 2]) {
      const rest = ws.slice(i + 1, i + length);
      if (rest.length < length - 1) continue;
      // "call in" of "what do I call in mustache…" is a verb and a preposition, not the phrase "call in".
      if (length === 2 && PREPOSITION.test(rest[0] as string)) continue;
      const first = ws[i] as string;
      const phrase = [first, ...wn.lemmas(first, 'verb')]
        .map((f) => [f, ...rest].join('_'))
        .find((p) => wn.lemmas(p, 'verb').length > 0 || wn.lemmas(p, 'adv').length > 0);
      if (!phrase) continue;
      for (let j = i; j < i + length; j++) if (!out.has(j)) out.set(j, phrase);
      break;
    }
  }
  return out;
}

const ATTRIBUTION = /\b(say|says|said|saying|write|wrote|written|claim(ed|s)?|warn(ed|s)?|tell|told|state[sd]?|argue[sd]?|describe[sd]?|call(ed|s)?|promise[sd]?|propose[sd]?|announce[sd]?|urge[sd]?|add(ed|s)?|reply|replied|respond(ed)?|comment(ed)?|accuse[sd]?|insist(ed|s)?)\b/i;

/** Footnote markers and quote marks of an earlier answer: not words of its subject. */
function answerText(content: string): string {
  return content.replace(/\[\d+\]/g, ' ');
}

const AUX_OR_VERB =
  /^(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should|were|of|in|at|on|from|that|did)$/;

/** "How many Ukrainian troops did..." → ["ukrainian", "troops"]: the words between "how many" and the verb. */
export function countedThing(question: string): string[] {
  const ws = words(question);
  const at = ws.findIndex((w, i) => w === 'how' && (ws[i + 1] === 'many' || ws[i + 1] === 'much'));
  if (at < 0) return [];
  const out: string[] = [];
  // "How many troops stormed across…": the counted noun phrase ends at the verb, tagged or auxiliary.
  const verbs = verbsOf(question);
  for (const w of ws.slice(at + 2)) {
    if (AUX_OR_VERB.test(w) || (verbs.has(w) && out.length > 0) || out.length === 3) break;
    out.push(w);
  }
  return out;
}

const SEMI_MODAL = /\b(supposed|meant|going|able|due)\s+to\b/gi;

/**
 * Reads a question the way a careful reader would: its type, its key terms, and — for a follow-up like
 * "What did he say about nuclear weapons?" — the subject of the conversation it refers back to.
 */
export function analyseQuestion(question: string, history: ChatTurn[] = []): AnalysedQuestion {
  const nouns = categoryNouns(question);
  const category = new Set(nouns.map(stemWord));
  // "supposed to", "going to", "able to": a semi-modal says how, not what; a passage says "due to take
  // place" or just "will", so the word would only count against the sentence that answers.
  const modal = new Set([...question.matchAll(SEMI_MODAL)].map((m) => (m[1] as string).toLowerCase()));
  const own = termsOf(question, 1).filter((t) => !modal.has(t.word)).map((t) => ({
    ...t,
    own: true,
    ...(category.has(t.stem) ? { weight: CATEGORY_WEIGHT } : {}),
  }));
  const lastUser = [...history].reverse().find((t) => t.role === 'user');
  const lastAnswer = [...history].reverse().find((t) => t.role === 'assistant');
  let carried: QueryTerm[] = [];
  let followed: QueryTerm[] = [];
  if (lastUser && (PRONOUN.test(question) || own.length < 2 || ELLIPSIS.test(question))) {
    followed = termsOf(lastUser.content, 0);
    const ownStems = new Set(own.map((t) => t.stem));
    // The subject of the previous question: its names, or all its key words if it had none. The names of
    // the previous answer weigh less: "he" is usually the person asked about, sometimes one answered with.
    const names = subjectsOf(lastUser.content);
    // "And the following year?" leaves out all of the question before it, not only whom it was about.
    const elided = ELLIPSIS.test(question) && !PRONOUN.test(question);
    const source = names.length && !elided ? names.join(' ') : lastUser.content;
    // "Who told Lukashenko…?" — "Putin." — "How old is he?": after a who-question (not "Who is <name>?")
    // "he" is the one answered with; the question's names come second.
    const answered =
      lastAnswer && questionType(lastUser.content) === 'who' && !DEFINITION_QUESTION.test(lastUser.content)
        ? firstName(answerText(lastAnswer.content))
        : [];
    // Terms taken from names are names, wherever they stood in their sentence.
    const named = (terms: QueryTerm[]) => terms.map((t) => ({ ...t, entity: true }));
    const nameStems = new Set(termsOf(names.join(' '), 1).map((t) => t.stem));
    carried = [
      ...named(termsOf(answered.join(' '), 0.6)),
      ...termsOf(source, answered.length ? 0.3 : 0.6).map((t) => (nameStems.has(t.stem) ? { ...t, entity: true } : t)),
    ].filter((t, i, all) => !ownStems.has(t.stem) && all.findIndex((u) => u.stem === t.stem) === i);
    if (lastAnswer && names.length === 0 && answered.length === 0) {
      const answerNames = subjectsOf(answerText(lastAnswer.content)).slice(0, 4).join(' ');
      const have = new Set([...ownStems, ...carried.map((t) => t.stem)]);
      carried.push(...named(termsOf(answerNames, 0.3)).filter((t) => !have.has(t.stem)));
    }
  }
  const searchText = carried.length ? `${question} ${carried.map((t) => t.word).join(' ')}` : question;
  return {
    question,
    type: questionType(question),
    searchText,
    terms: [...own, ...carried],
    counted: countedThing(question),
    multiPart: MULTI_PART.test(question),
    stems: new Set(words(question).map(stemWord)),
    category: nouns,
    attribution: ATTRIBUTION.test(question),
    previousAnswer: lastAnswer?.content ?? '',
    followed,
  };
}

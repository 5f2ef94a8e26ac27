import type { QuestionType } from './query.ts';
import { foldTypography } from './text.ts';

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december';
const DAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|third|quarter|several|few';

const PATTERNS: Record<Exclude<QuestionType, 'what' | 'yes-no'>, RegExp> = {
  'how-many': new RegExp(`\\d|\\b(${NUMBER_WORDS})\\b`, 'i'),
  when: new RegExp(
    `\\b(${MONTHS}|${DAYS}|yesterday|today|tonight|last (night|week|month|year)|this (week|month|year)|earlier|later|ago|since|anniversary|(18|19|20)\\d\\d|in (early|late|mid)-?\\s?\\w+)\\b`,
    'i',
  ),
  where: /\b(in|at|from|near|towards?|across|into|along|inside|outside)\s+(the\s+)?\p{Lu}/u,
  who: /\p{Lu}\p{Ll}+\s+\p{Lu}\p{Ll}+|\b(Mr|Ms|Mrs|Dr|President|Minister|leader|journalist|adviser|head of)\b/u,
  why: /\b(because|due to|as a result|in order to|so that|in response|reason|since|amid|after|caused|to ensure|thwarted|blamed|instigated)\b/i,
};

/** Whether a sentence contains the kind of thing the question asks for (a number, a date, a name...). */
export function hasAnswerType(type: QuestionType, sentence: string): boolean {
  if (type === 'what' || type === 'yes-no') return true;
  return PATTERNS[type].test(foldTypography(sentence));
}

// Mirrors what transformers.js' BertNormalizer + BertPreTokenizer do to text (tokenizers.js, v3.8), so the
// build only keeps vocabulary entries that the tokenizer can actually produce.

// Same character class as transformers.js' PUNCTUATION_REGEX: Unicode punctuation plus all ASCII symbols.
const PUNCTUATION = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
export const PRE_TOKEN = new RegExp(`[^\\s${PUNCTUATION}]+|[${PUNCTUATION}]`, 'gu');
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
// CJK ideographs get spaces around them, so a multi-character entry containing one is never a single token.
const CJK = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\u{20000}-\u{2FA1F}]/u;

/** Lowercase and strip accents (NFD, drop nonspacing marks), as BertNormalizer does with lowercase: true. */
export function normalizeWord(word: string): string {
  return word
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
}

/** True when `word` survives normalisation unchanged and the pre-tokenizer yields it as one piece. */
export function isSingleBertToken(word: string): boolean {
  if (word === '' || CONTROL.test(word) || normalizeWord(word) !== word) return false;
  if ([...word].length > 1 && CJK.test(word)) return false;
  const pieces = word.match(PRE_TOKEN);
  return pieces?.length === 1 && pieces[0] === word;
}

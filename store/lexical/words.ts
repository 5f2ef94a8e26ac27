import stem from 'wink-porter2-stemmer';

/**
 * Words that carry no topic. Beyond the usual function words it holds question scaffolding ("what",
 * "did", "say"), since a question's key terms are what retrieval and abstention must weigh.
 */
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
s t don doesn didn isn wasn aren weren won wouldn shouldn couldn ll ve re d m o
dont doesnt didnt isnt wasnt arent werent wouldnt shouldnt couldnt hasnt havent hadnt cannot im ive youre
theyre weve
according tell told say says said saying ask asked mention mentioned article articles
much many one did does do get got make made give gave way thing things
describe described think thought refer refers mean means meant view exactly exact actually really still
apart regarding despite either happen happened kind type supposedly often real whom whose which`.split(/\s+/),
);

/** Question words and auxiliaries: ignored when looking for a question's key terms. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Characters that change how a word looks but not what it says: zero-width marks, soft hyphens, BOM. */
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/g;
/** Combining marks left after decomposition (é → e + ◌́): folded away so "Zelenskyy" and "Zelenskýy" match. */
const COMBINING = /\p{M}+/gu;

/**
 * A word split by a hyphen at a PDF line end (`inter-` U+200B `national`, see ingest/pdf.ts) is one word.
 * Ligatures (ﬁ, ﬂ) are folded by NFKD below.
 */
const PDF_HYPHEN_BREAK = /(\p{L})-\u200B(?=\p{Ll})/gu;

const ASCII = /^\p{ASCII}*$/u;

/**
 * Folds typography so `don’t` and `don't`, `“x”` and `"x"`, full-width `ＵＮ` and `UN`, `Kyïv` and `Kyiv`
 * match. For matching only: cited text is never rewritten.
 */
export function foldTypography(s: string): string {
  // Every rule below is about characters beyond ASCII.
  if (ASCII.test(s)) return s;
  return s
    .replace(PDF_HYPHEN_BREAK, '$1')
    .replace(INVISIBLE, '')
    .normalize('NFKD')
    .replace(COMBINING, '')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u2013\u2014]/g, '-');
}

const INNER_MARK = /['.,-]/;

/**
 * A lower-case letter or digit followed by a capital, or a capital run ending before a capitalised word
 * (`HTMLParser`; not a plural initialism: `UUIDs`, `APIs`).
 */
const CAMEL = /(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll}{2})/u;

/**
 * Lower-cased word tokens (letters and digits, with inner apostrophes, hyphens and number separators).
 * An identifier written in camel case counts as itself and as its words (`bufferLength` → bufferlength,
 * buffer, length): a reader asks about "the buffer length", the README writes the property's name.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  const re = /[\p{L}\p{N}]+(?:['.,-][\p{L}\p{N}]+)*/gu;
  for (const m of foldTypography(text).matchAll(re)) {
    const token = m[0];
    const lower = token.toLowerCase();
    // Most tokens are plain letters or digits: nothing below would change them.
    if (!INNER_MARK.test(token)) {
      out.push(lower);
      if (lower !== token) pushCamelParts(token, out);
      continue;
    }
    // Possessive 's and trailing abbreviations dots are not part of the word.
    const w = token.replace(/'s$/i, '');
    if (/^[\p{N},.]+$/u.test(w)) out.push(w.replace(/,/g, ''));
    else
      for (const part of w.split(/[.-]/)) {
        if (!part) continue;
        const plain = part.replace(/'/g, '');
        out.push(plain.toLowerCase());
        pushCamelParts(plain, out);
      }
  }
  return out;
}

/**
 * The words of a camel-case identifier or name (`bufferLength`, `MultiBar`, `WebAssembly`). Measured: keeping
 * capitalised names whole ("ESLint", "McKinley") did worse on both the trained and the never-trained sets.
 */
function pushCamelParts(token: string, out: string[]): void {
  const parts = token.split(CAMEL);
  if (parts.length > 1) for (const p of parts) out.push(p.toLowerCase());
}

const stemCache = new Map<string, string>();

/** Porter2 stem, memoised (the vocabulary of a corpus is small compared with the number of calls). */
export function stemWord(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = /^\p{N}/u.test(word) ? word : stem(word);
    if (stemCache.size > 200_000) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** Index terms of a text: stemmed content words. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) if (!STOPWORDS.has(w)) out.push(stemWord(w));
  return out;
}

import type { DocumentRecord, Passage } from '../../store/format.ts';
import type { Retrieved } from './retrieve.ts';
import { headingAt } from '../../store/lexical/headings.ts';
import { foldTypography } from '../../store/lexical/words.ts';

/** A candidate answer: one sentence, or two neighbours, of a retrieved passage (offsets into the document). */
export interface Unit {
  hit: Retrieved;
  /** Rank of the passage in the fused list. */
  rank: number;
  start: number;
  end: number;
  text: string;
  /** Two sentences quoted together. */
  pair: boolean;
  /** The sentences a pair is made of, as document offsets (soft matching is done once per sentence). */
  parts?: Array<[number, number]>;
  /** Starts with a pronoun or connective ("He warned…", "After that…"): leans on the sentence before. */
  dependent: boolean;
  /** Index of the (first) sentence in its passage. */
  sentence: number;
  /** The Markdown heading the unit sits under and its table's header row ('' if none): context it is matched together with. */
  heading: string;
}

/** A Markdown table's delimiter row: `--- | :---: | ---`. */
const TABLE_DELIMITER = /^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$/;
/** A Markdown table: where it starts, where its body (after the delimiter row) starts and ends, its header row. */
interface Table {
  start: number;
  bodyStart: number;
  end: number;
  header: string;
}
const tableMemo = new WeakMap<DocumentRecord, Table[]>();

/** The document's Markdown tables. */
function tablesOf(doc: DocumentRecord): Table[] {
  let ts = tableMemo.get(doc);
  if (!ts) {
    ts = [];
    const lines = [...doc.text.matchAll(/[^\n]*(?:\n|$)/g)].filter((m) => m[0] !== '');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as RegExpMatchArray;
      const head = lines[i - 1] as RegExpMatchArray;
      if (!TABLE_DELIMITER.test(line[0].trimEnd()) || !head[0].includes('|')) continue;
      let j = i + 1;
      while (j < lines.length && (lines[j] as RegExpMatchArray)[0].includes('|') && (lines[j] as RegExpMatchArray)[0].trim()) j++;
      const last = lines[j - 1] as RegExpMatchArray;
      ts.push({ start: head.index as number, bodyStart: (line.index as number) + line[0].length, end: (last.index as number) + last[0].length, header: head[0].trim() });
      i = j;
    }
    tableMemo.set(doc, ts);
  }
  return ts;
}

/**
 * A unit's context: the Markdown headings it sits under and, in a table's body, the table's header row
 * ("Option | Default | Description" is what "what does it default to" matches in a row of values) or, in a
 * list, the sentence introducing it.
 */
function contextAt(doc: DocumentRecord, offset: number): string {
  const table = tablesOf(doc).find((t) => t.bodyStart <= offset && offset < t.end);
  const heading = headingAt(doc, offset);
  if (table) return `${heading} ${table.header}`.trim();
  const leadIn = listLeadIn(doc.text, offset);
  return leadIn ? `${heading} ${leadIn}`.trim() : heading;
}

const LIST_ITEM = /^([ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+/;

/** Where the line holding `offset` starts. */
function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * The sentence that introduces the list a unit is an item of ("The results object … has these properties:"
 * over "* `timeouts`: The number of connection timeouts"), or '' if none: the item is matched with it, as a
 * row with its table's header. Lines above are walked past while they are items as deep or deeper, the
 * text of an item, or blank; the first other line is the lead-in if it ends with a colon.
 */
function listLeadIn(text: string, offset: number): string {
  const lineStart = lineStartAt(text, offset);
  const lineEnd = text.indexOf('\n', lineStart);
  const item = LIST_ITEM.exec(text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd));
  if (!item) return '';
  const depth = (item[1] as string).length;
  let end = lineStart - 1;
  for (let seen = 0; end > 0 && seen < 300; seen++) {
    const start = lineStartAt(text, end);
    const line = text.slice(start, end);
    end = start - 1;
    if (!line.trim()) continue;
    const marker = LIST_ITEM.exec(line);
    const indent = line.length - line.trimStart().length;
    if (marker ? (marker[1] as string).length >= depth : indent > depth) continue;
    const body = (marker ? line.slice(marker[0].length) : line).trim();
    return LEAD_IN.test(body) ? body : '';
  }
  return '';
}

/** The most sentences, and characters, a list item or reference entry quoted whole may have. */
const ITEM_SENTENCES = 4;
const ITEM_CHARS = 500;

/** A sentence that opens a list item: only its marker before it on its line. */
function itemStart(text: string, start: number): boolean {
  const lineStart = lineStartAt(text, start);
  return LIST_ITEM.test(text.slice(lineStart, start + 4)) && text.slice(lineStart, start).replace(LIST_ITEM, '').trim() === '';
}

/** A table's header or delimiter row: context for its rows, never an answer of its own. */
function tableHead(doc: DocumentRecord, offset: number): boolean {
  return tablesOf(doc).some((t) => t.start <= offset && offset < t.bodyStart);
}

/** A Markdown heading's own line ("## Comments"): context for the units under it, never an answer itself. */
export function headingLine(text: string, start: number): boolean {
  const lineStart = lineStartAt(text, start);
  return /^ {0,3}#{1,6}[ \t]+$/.test(text.slice(lineStart, start));
}

/**
 * A heading that names a thing rather than a topic: one identifier, flag, version or call, optionally in
 * backticks ("`.addAll(fns, options?)`", "--preid", "v2.0.0", "next"), not a capitalised word ("Usage").
 */
const NAMED_SECTION = /^`?(?!\p{Lu}\p{Ll}+`?$)[.#$@:-]*[\p{L}\p{N}_$][\p{L}\p{N}_$.:-]*(?:\([^)]*\))?`?$/u;

/** What may stand between a lead-in ending with a colon and what it introduces: blank lines, a code fence. */
const LEAD_IN_GAP = /^\s*(?:(?:```|~~~)[^\n]*\n\s*)?$/;

/** A lead-in or a label: ends with a colon ("using this command:", "`idPrefix`:", "**Note:**"). */
const LEAD_IN = /:[*_`]*$/;

/** Only line breaks and blank lines between two sentences. */
const BLANK_LINES = /^[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]*$/;

/** Openings that refer back: a sentence starting so is quoted with the one before it. */
const DEPENDENT =
  /^["'“‘(]*(he|she|it|they|this|that|these|those|his|her|its|their|there|such|but|and|however|after that|then|also|meanwhile|still|yet|so|thus|therefore|moreover|instead|both)\b/i;

/**
 * The units of the passages read: each sentence and each pair of neighbours (`joins`), a pair reaching into
 * the passage after (or, for a sentence that leans on the one before, the passage before) when its other
 * sentence is there. A headline, dateline, caption, byline, list item or table row (a line of its own) is
 * quoted on its own, never glued to the sentence after it; a code block is one unit, read line by line too.
 */
export function unitsOf(
  retrieved: Retrieved[],
  docs: Map<string, DocumentRecord>,
  read: number,
  /** The index's passages: a pair may reach into the neighbouring passage of the same document. */
  passages: readonly Passage[] = [],
): Unit[] {
  const out: Unit[] = [];
  retrieved.slice(0, read).forEach((hit, rank) => {
    const doc = docs.get(hit.passage.docId);
    if (!doc) return;
    const markdown = MARKDOWN_FILE.test(doc.source);
    // A code block (one multi-line "sentence") is read line by line too: a CLI help or a config file
    // answers in a line or two ("-c/--connections NUM" + "The number of … default: 10").
    const own = hit.passage.sentences;
    const code = own.length === 1 && hit.passage.text.includes('\n');
    const sentences = code ? [...linesOf(doc.text, own[0] as [number, number])] : own;
    // The last sentence of a run from sentence `i` of at most ITEM_SENTENCES and ITEM_CHARS, `ends` before.
    const runFrom = (i: number, ends: (next: [number, number], before: [number, number]) => boolean): number => {
      let last = i;
      while (last + 1 < sentences.length && last + 1 - i < ITEM_SENTENCES) {
        const next = sentences[last + 1] as [number, number];
        if (next[1] - (sentences[i] as [number, number])[0] > ITEM_CHARS || ends(next, sentences[last] as [number, number])) break;
        last++;
      }
      return last;
    };
    // Sentences `i`..`last` as one unit, when there are three or more.
    const quoteWhole = (i: number, last: number, heading: string) => {
      if (last - i < 2) return;
      const [start] = sentences[i] as [number, number];
      const [, end] = sentences[last] as [number, number];
      const parts = sentences.slice(i, last + 1) as Array<[number, number]>;
      out.push({ hit, rank, start, end, text: doc.text.slice(start, end), pair: true, parts, dependent: false, sentence: i, heading });
    };
    // The sentence under a heading that names a thing ("Emitted every time…" under "next") is quoted with it.
    let named = -1;
    sentences.forEach(([start, end], i) => {
      if (tableHead(doc, start)) return;
      if (headingLine(doc.text, start)) {
        // A reference section's heading is its name (".pause()", "throwOnTimeout", "1.13.0"): quoted with the
        // sentence under it, it is the answer to "which method…"; a prose heading ("Usage") stays context.
        const next = sentences[i + 1];
        const text = doc.text.slice(start, end);
        if (!next || !NAMED_SECTION.test(text) || headingLine(doc.text, next[0]) || !BLANK_LINES.test(doc.text.slice(end, next[0]))) return;
        const lineStart = lineStartAt(doc.text, start);
        const parts: Array<[number, number]> = [[start, end], [next[0], next[1]]];
        const pairText = doc.text.slice(start, next[1]);
        out.push({ hit, rank, start, end: next[1], text: pairText, pair: true, parts, dependent: false, sentence: i, heading: contextAt(doc, lineStart) });
        named = i + 1;
        // A short reference entry ("##### autoStart" / "Type: `boolean`" / "Default: `true`" / "Whether queue
        // tasks … are auto-executed…") is also quoted whole, as a list item is.
        quoteWhole(i, runFrom(i, (after) => headingLine(doc.text, after[0])), contextAt(doc, lineStart));
        return;
      }
      const text = doc.text.slice(start, end);
      const dependent = DEPENDENT.test(foldTypography(text));
      const heading = contextAt(doc, start);
      // A lead-in ("These instances emit the following events:") announces an answer and is none: quoted only
      // with what follows it.
      if (named !== i && !LEAD_IN.test(text)) out.push({ hit, rank, start, end, text, pair: false, dependent, sentence: i, heading });
      const next = sentences[i + 1];
      // Nor is a pair that ends with one ("…as a module. Using npm you can get it with the following command:").
      if (next && (code || joins(doc.text, [start, end], next, markdown)) && !LEAD_IN.test(doc.text.slice(next[0], next[1]))) {
        const pairText = doc.text.slice(start, next[1]);
        const parts: Array<[number, number]> = [[start, end], [next[0], next[1]]];
        out.push({ hit, rank, start, end: next[1], text: pairText, pair: true, parts, dependent, sentence: i, heading });
      }
    });
    if (code) return;
    // A Markdown list item of three or more sentences ("`idPrefix`:" / "a string to prepend…" / "Defaults to an
    // empty string.") is also a unit of its own: its name and what it says of it, quoted together.
    if (markdown) {
      sentences.forEach(([start], i) => {
        if (!itemStart(doc.text, start)) return;
        const last = runFrom(i, (next, before) => itemStart(doc.text, next[0]) || !joins(doc.text, before, next, true));
        quoteWhole(i, last, contextAt(doc, start));
      });
    }
    // Passages are a few sentences long: the sentence that completes this passage's last one (or that its
    // first one leans on) often opens the next passage (or closes the one before).
    const pairAcross = (a: [number, number], b: [number, number], sentence: number) => {
      if (!joins(doc.text, a, b, markdown) || LEAD_IN.test(doc.text.slice(b[0], b[1]))) return;
      const text = doc.text.slice(a[0], b[1]);
      const dependent = DEPENDENT.test(foldTypography(text));
      const parts: Array<[number, number]> = [a, b];
      out.push({ hit, rank, start: a[0], end: b[1], text, pair: true, parts, dependent, sentence, heading: contextAt(doc, a[0]) });
    };
    const { before, after } = neighboursOf(hit, passages);
    const first = sentences[0];
    const last = sentences[sentences.length - 1];
    const beforeLast = before?.sentences[before.sentences.length - 1];
    const afterFirst = after?.sentences[0];
    if (first && beforeLast && beforeLast[1] <= first[0]) {
      if (DEPENDENT.test(foldTypography(doc.text.slice(first[0], first[1])))) pairAcross(beforeLast, first, 0);
    }
    if (last && afterFirst && last[1] <= afterFirst[0]) {
      pairAcross(last, afterFirst, sentences.length - 1);
    }
  });
  return out;
}

/** The passages just before and after a retrieved one in the same document: where a pair may reach. */
export function neighboursOf(hit: Retrieved, passages: readonly Passage[]): { before?: Passage; after?: Passage } {
  const same = (p: Passage | undefined) => (p?.docId === hit.passage.docId ? p : undefined);
  return { before: same(passages[hit.index - 1]), after: same(passages[hit.index + 1]) };
}

/**
 * Whether two neighbouring sentences may be quoted together: within a paragraph, or across one paragraph
 * break when both are prose (news puts one sentence per paragraph: "The Burevestnik missile…" / "Should the
 * missile be deployed, … 14,000 miles."), or after a lead-in ending with a colon. A headline, byline, list item
 * or table row stays on its own.
 */
function joins(text: string, a: [number, number], b: [number, number], markdown = false): boolean {
  const gap = text.slice(a[1], b[0]);
  if (!/[\r\n]/.test(gap)) return true;
  // Markdown wraps a paragraph or a list item over lines: one line break inside it is a space, unless the
  // next line starts a block of its own (an item, a heading, a table row, a fence, a quote, HTML).
  if (markdown && SOFT_BREAK.test(gap) && !opensBlock(text.slice(lineStartAt(text, b[0]), b[1])) && !blockLine(text, a)) {
    return true;
  }
  // A lead-in or a label ("As a command-line utility:", "`idPrefix`:") says nothing without what follows it.
  // A code block's opening fence may stand between them ("using this command:" / ```shell / the command).
  // Not to a table's header row, which names the columns and answers nothing: the rows are units of their own.
  if (LEAD_IN.test(text.slice(a[0], a[1])) && LEAD_IN_GAP.test(gap) && !headingLine(text, b[0]) && !headerRow(text, b)) {
    return true;
  }
  // A PDF's page break between two paragraphs ("\n\f\n") is a paragraph break like any other.
  return /^[ \t]*\r?\n[ \t\f]*\r?\n[ \t]*$/.test(gap) && proseLine(text, a) && proseLine(text, b);
}

const MARKDOWN_FILE = /\.(?:md|markdown)$/i;
/** One line break, no blank line. */
const SOFT_BREAK = /^[ \t]*\r?\n[ \t]*$/;
/** Besides a list item, what opens a Markdown block of its own at the start of a line. */
const OPENS_BLOCK = /^[ \t]*(?:#|\||```|~~~|>|<)/;
const opensBlock = (line: string) => LIST_ITEM.test(line) || OPENS_BLOCK.test(line);

/** A sentence on a table's header row: the line after it is the delimiter row (`--- | ---`). */
function headerRow(text: string, [, end]: [number, number]): boolean {
  const lineEnd = text.indexOf('\n', end);
  if (lineEnd < 0) return false;
  const next = text.indexOf('\n', lineEnd + 1);
  return TABLE_DELIMITER.test(text.slice(lineEnd + 1, next < 0 ? text.length : next).trimEnd());
}

/** The line a sentence sits on is a heading or a table row: never continued by the next line. */
function blockLine(text: string, [start]: [number, number]): boolean {
  const lineStart = lineStartAt(text, start);
  return /^[ \t]*(?:#|\|)/.test(text.slice(lineStart, start + 1));
}

/** A sentence that is a whole line of running prose: starts a line with a capital, ends with a full stop. */
function proseLine(text: string, [start, end]: [number, number]): boolean {
  const lineStart = lineStartAt(text, start);
  const sentence = text.slice(start, end);
  return (
    text.slice(lineStart, start).trim() === '' &&
    /^["'“‘(]*\p{Lu}/u.test(sentence) &&
    /[.!?]["'”’)]*$/.test(sentence) &&
    sentence.split(/\s+/).length >= 6
  );
}

/** The non-blank lines of a span, trimmed, as [start, end] offsets. */
function* linesOf(text: string, [start, end]: [number, number]): Generator<[number, number]> {
  for (const m of text.slice(start, end).matchAll(/[^\r\n]+/g)) {
    const lead = m[0].length - m[0].trimStart().length;
    const body = m[0].trim();
    if (body) yield [start + m.index + lead, start + m.index + lead + body.length];
  }
}

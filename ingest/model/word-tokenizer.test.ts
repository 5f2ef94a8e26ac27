import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model.ts';
import { DEFAULT_MODEL_DIR, DEFAULT_MODEL_ID, MODELS_DIR } from './paths.ts';
import { WordTokenizer } from './word-tokenizer.ts';

type Reference = (texts: string[], opts: { padding: true; truncation: true }) => { input_ids: Tensor; attention_mask: Tensor };
let ours: WordTokenizer;
let reference: Reference;

beforeAll(async () => {
  await buildModel();
  ours = (await WordTokenizer.load(DEFAULT_MODEL_DIR)) as WordTokenizer;
  env.localModelPath = MODELS_DIR;
  env.allowRemoteModels = false;
  reference = (await AutoTokenizer.from_pretrained(DEFAULT_MODEL_ID)) as unknown as Reference;
}, 120_000);

/** Every line of the seeds and the eval corpora, and texts made to find where two tokenizers part. */
function texts(): string[] {
  const dirs = ['seeds', ...['sotu', 'readmes', 'readmes2'].map((c) => join('evals', 'corpora', c))];
  const lines = dirs.flatMap((dir) =>
    readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n')),
  );
  return [
    ...lines.filter((l) => l.trim()),
    'Café in Zürich, naïve façade — ÉLAN and Œuvre',
    'tabs\tand\r\nnewlines\u00a0no-break\u2003em space\u200bzero width\u00adsoft hyphen',
    'control \u0000 \u0007 \ufffd replacement \ue000 private \ud83d\ude00 emoji 😀 🇺🇦',
    '中文字符和日本語のテキスト 한국어 𠀀 astral ideograph',
    'literal [UNK] and [PAD] tokens, [unk] [Pad]',
    'ﬁnancial ligature, full-width ＡＢＣ１２３, Ⅻ, ½, ², İstanbul, ß, ΣΊΣΥΦΟΣ',
    `${'a'.repeat(101)} ${'b'.repeat(100)} supercalifragilisticexpialidocious`,
    'x '.repeat(700),
    '',
    '   ',
    "U.S.-led don't 3.5% $1,000 e-mail @user #tag http://example.com/a_b?c=d",
  ];
}

describe('WordTokenizer (the built model)', () => {
  it('gives the ids and attention mask transformers.js’ BertTokenizer gives, text by text and in padded batches', () => {
    const all = texts();
    expect(all.length).toBeGreaterThan(2000);
    for (let i = 0; i < all.length; i += 64) {
      const batch = all.slice(i, i + 64);
      const want = reference(batch, { padding: true, truncation: true });
      const got = ours.encode(batch);
      expect([batch.length, got.length]).toEqual(want.input_ids.dims);
      expect(got.inputIds).toEqual(want.input_ids.data);
      expect(got.attentionMask).toEqual(want.attention_mask.data);
    }
  });

  it('is not used for a model it did not build', async () => {
    expect(await WordTokenizer.load(join(MODELS_DIR, 'Xenova', 'all-MiniLM-L6-v2'))).toBeNull();
  });
});

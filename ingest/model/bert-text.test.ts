import { describe, expect, it } from 'vitest';
import { isSingleBertToken, normalizeWord } from './bert-text.ts';

describe('isSingleBertToken', () => {
  it('keeps lowercase words, numbers and lone punctuation', () => {
    for (const word of ['the', 'lukashenko', '1990', ',', '"', '$', '“', '€'])
      expect(isSingleBertToken(word)).toBe(true);
  });

  it('drops entries the normalizer or pre-tokenizer would change or split', () => {
    for (const word of ['The', 'café', 'well-known', "n't", '3.5', '--', 'a b', '']) {
      expect(isSingleBertToken(word)).toBe(false);
    }
  });

  it('normalizes like BertNormalizer with lowercase and strip_accents', () => {
    expect(normalizeWord('Crème Brûlée')).toBe('creme brulee');
  });
});

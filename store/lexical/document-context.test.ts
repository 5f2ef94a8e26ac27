import { describe, expect, it } from 'vitest';
import { fileNameWords } from './document-context.ts';

const words = (source: string) => fileNameWords({ docId: 'x', source });

describe('fileNameWords', () => {
  it('reads a speech file name as its speaker and year, not its counter or hash', () => {
    expect(words('sotu/1962_john_f_kennedy_d.txt')).toEqual(['1962', 'john', 'f', 'kennedy', 'd']);
    expect(words('seeds/004_ec9c24d3208588b7.txt')).toEqual([]);
  });

  it('also reads a name split at its capitals joined ("mc_kinley" is McKinley)', () => {
    expect(words('sotu/1899_william_mc_kinley_r.txt')).toContain('mckinley');
    // Only a two- or three-letter word joins the next: "john_f" stays apart.
    expect(words('sotu/1962_john_f_kennedy_d.txt')).not.toContain('fkennedy');
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { containsAnswer } from './metrics.ts';
import { parseQuestionSet, TAGS } from './schema.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const raw = readFileSync(path.join(root, 'evals/dev.jsonl'), 'utf8');
const questions = parseQuestionSet(raw);
const fileText = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Page furniture that no answer should ever rest on. */
const BOILERPLATE = [
  'Source: Read Full Article',
  'Advertisement:',
  'sign-up',
  'Leave a Reply',
  'Support Us',
  'Advert-free',
  'unsubscribe',
];

describe('evals/dev.jsonl', () => {
  it('parses, one question per non-blank line', () => {
    expect(questions).toHaveLength(raw.split('\n').filter((l) => l.trim() !== '').length);
  });

  it('has unique ids', () => {
    expect(new Set(questions.map((q) => q.id)).size).toBe(questions.length);
  });

  it('has at least 60 questions, 15 of them unanswerable', () => {
    expect(questions.length).toBeGreaterThanOrEqual(60);
    expect(questions.filter((q) => !q.answerable).length).toBeGreaterThanOrEqual(15);
  });

  it('uses every tag category', () => {
    const used = new Set(questions.flatMap((q) => q.tags));
    expect(TAGS.filter((t) => !used.has(t))).toEqual([]);
  });

  it('quotes evidence verbatim, exactly once per file, and short enough for one passage', () => {
    for (const q of questions) {
      for (const e of q.evidence) {
        const text = fileText(e.file);
        const at = text.indexOf(e.quote);
        expect(at, `${q.id}: quote not in ${e.file}: ${e.quote}`).toBeGreaterThanOrEqual(0);
        expect(text.indexOf(e.quote, at + 1), `${q.id}: quote is ambiguous`).toBe(-1);
        expect(e.quote.length, `${q.id}: quote too long`).toBeLessThanOrEqual(300);
      }
    }
  });

  it('never uses boilerplate as evidence', () => {
    for (const q of questions) {
      for (const e of q.evidence) {
        for (const b of BOILERPLATE) expect(e.quote.toLowerCase(), q.id).not.toContain(b.toLowerCase());
      }
    }
  });

  it('has an acceptable answer inside some evidence quote (an extractive answer can contain it)', () => {
    for (const q of questions.filter((x) => x.answerable)) {
      expect(
        q.evidence.some((e) => containsAnswer(e.quote, q.answers)),
        q.id,
      ).toBe(true);
    }
  });

  it('has enough of the hard kinds to measure them', () => {
    const tagged = (tag: string) => questions.filter((q) => q.tags.some((t) => t === tag)).length;
    expect(tagged('multi-doc')).toBeGreaterThanOrEqual(5);
    expect(tagged('follow-up')).toBeGreaterThanOrEqual(8);
    expect(tagged('spelling')).toBeGreaterThanOrEqual(8);
    expect(tagged('paraphrase')).toBeGreaterThanOrEqual(8);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeDocument } from './documents.ts';
import { DEFAULT_CHUNKING, toPassages } from './passages.ts';

const seeds = readdirSync('seeds')
  .sort()
  .map((name) =>
    makeDocument({
      docId: name.replace(/\.\w+$/, ''),
      source: `seeds/${name}`,
      text: readFileSync(`seeds/${name}`, 'utf8'),
    }),
  );

/** Page furniture found in the seed articles; none of it may ever be cited. */
const BOILERPLATE = [
  'Support Us',
  'Advertisement:',
  'Source: Read Full Article',
  'Leave a Reply',
  'We use your sign-up',
  'unsubscribe at any time',
  'More info',
  'Advert-free experience',
  'Rocket-fast',
  'Exclusive & Unlimited access',
  '< /p>',
];

describe('passages of the seed articles', () => {
  it.each(seeds.map((d) => [d.docId, d] as const))(
    '%s: every passage is exactly text.slice(start, end)',
    (_, doc) => {
      const passages = toPassages(doc);
      expect(passages.length).toBeGreaterThan(3);
      for (const p of passages) {
        expect(p.text).toBe(doc.text.slice(p.start, p.end));
        for (const [s, e] of p.sentences) {
          expect(s).toBeGreaterThanOrEqual(p.start);
          expect(e).toBeLessThanOrEqual(p.end);
        }
        expect(p.text.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars + 600);
      }
    },
  );

  it('never contains boilerplate', () => {
    for (const doc of seeds) {
      for (const p of toPassages(doc)) {
        for (const b of BOILERPLATE) expect(p.text, `${p.id}`).not.toContain(b);
      }
    }
  });

  it('keeps the article content: every sentence-ending word of the body is in some passage', () => {
    const doc = seeds.find((d) => d.docId.startsWith('004')) ?? seeds[0];
    if (!doc) throw new Error('no seeds');
    const covered = toPassages(doc)
      .map((p) => p.text)
      .join(' ');
    for (const phrase of ['no preconditions are needed', '14,000 miles', 'Flying Chernobyl', 'BelTA']) {
      expect(covered).toContain(phrase);
    }
  });

  it('is deterministic', () => {
    for (const doc of seeds) expect(toPassages(doc)).toEqual(toPassages(doc));
  });

  it('splits sentences around curly quotes and abbreviations, not inside them', () => {
    const doc = makeDocument({
      docId: 't',
      source: 't.txt',
      text: 'Mr. Smith met Dr. Jones in the U.S. on Monday. “We agreed,” he said. It cost $1.5 million.',
    });
    const [p] = toPassages(doc, { maxChars: 600, maxSentences: 1, minChars: 0 });
    expect(p?.text).toBe('Mr. Smith met Dr. Jones in the U.S. on Monday.');
  });

  it('keeps a sentence wrapped over two lines whole, and never joins a heading, a list item or a finished line', () => {
    const text = [
      '### Development Formatting',
      '',
      'The pino-pretty module can be used to',
      'format logs during development. It adds colours.',
      '- one list item',
      'Short line without an end',
      'Another starts in capitals.',
    ].join('\n');
    const doc = makeDocument({ docId: 'md', source: 'md.md', text });
    const sentences = toPassages(doc).flatMap((p) => p.sentences.map(([s, e]) => text.slice(s, e)));
    expect(sentences).toContain('The pino-pretty module can be used to\nformat logs during development.');
    expect(sentences).toContain('It adds colours.');
    expect(sentences).toContain('Development Formatting');
    expect(sentences).toContain('one list item');
    expect(sentences).toContain('Short line without an end');
  });

  it('ends no sentence at a dot inside inline code', () => {
    const text = '- `stream` (type:stream) - output stream to use (default: `process.stderr`). Next one.';
    const doc = makeDocument({ docId: 'code', source: 'code.md', text });
    const sentences = toPassages(doc).flatMap((p) => p.sentences.map(([s, e]) => text.slice(s, e)));
    expect(sentences).toEqual(['`stream` (type:stream) - output stream to use (default: `process.stderr`).', 'Next one.']);
  });

  it('ends no sentence at a dot inside a link or a file name, but still at one missing its space', () => {
    const text = '* [Pino with Koa](docs/web.md#koa) shows the setup. He left.She came.';
    const doc = makeDocument({ docId: 'link', source: 'link.md', text });
    const sentences = toPassages(doc).flatMap((p) => p.sentences.map(([s, e]) => text.slice(s, e)));
    expect(sentences).toEqual(['[Pino with Koa](docs/web.md#koa) shows the setup.', 'He left.', 'She came.']);
  });

  it('cuts a long CLI help between its items, never between an option and its description', () => {
    const option = (i: number) =>
      `  -${String.fromCharCode(97 + i)}/--option-${i} NUM\n        What option ${i} does, described at some length here.\n        default: ${i}.\n`;
    const help = Array.from({ length: 20 }, (_, i) => option(i)).join('');
    const text = `Usage:\n\n\`\`\`\n${help}\`\`\`\n`;
    const passages = toPassages(makeDocument({ docId: 'cli', source: 'cli.md', text }));
    const code = passages.filter((p) => p.text.includes('--option-'));
    expect(code.length).toBeGreaterThan(2);
    for (const p of code) {
      expect(p.text.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars);
      expect(p.text).toBe(text.slice(p.start, p.end));
      expect(p.text.trimStart()).toMatch(/^-[a-t]\/--option-\d+ NUM/);
      expect(p.text).toMatch(/default: \d+\.$/);
    }
  });

  it('cuts a gigantic line without sentence ends into bounded passages', () => {
    const text = 'word '.repeat(20_000);
    const passages = toPassages(makeDocument({ docId: 'big', source: 'big.txt', text }));
    expect(passages.length).toBeGreaterThan(100);
    for (const p of passages) {
      expect(p.text).toBe(text.slice(p.start, p.end));
      expect(p.text.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars);
    }
  });

  // wink-nlp is quadratic in a token's length: this once took minutes; now the test timeout guards it.
  it('splits a megabyte without a single space into bounded, exact passages', () => {
    const blob = 'ab1-'.repeat(250_000);
    const text = `Headline\n\nThe report starts here. ${blob} And it ends here.`;
    const passages = toPassages(makeDocument({ docId: 'blob', source: 'blob.txt', text }));
    for (const p of passages) {
      expect(p.text).toBe(text.slice(p.start, p.end));
      expect(p.text.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars);
    }
    expect(passages.some((p) => p.text.includes('The report starts here.'))).toBe(true);
    expect(passages.at(-1)?.text).toContain('And it ends here.');
  });
});

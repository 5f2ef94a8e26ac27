import { describe, expect, it } from 'vitest';
import {
  containsAnswer,
  coversEvidence,
  firstRelevantRank,
  normalizeText,
  locateEvidence,
  percentile,
  ratio,
  sameSource,
  scoreQuestion,
  summarize,
  summarizeByTag,
  summarizeLatency,
  summarizeRetrieval,
  verbatimError,
} from './metrics.ts';
import { cite, DOC_A, gold, question, response, run } from './test-fixtures.ts';

// DOC_A = 'Alpha opens. The army has 120,000 troops. Beta is filler. Gamma ends.'
// The gold quote 'The army has 120,000 troops.' spans [13, 41): 28 characters.
const G = gold('seeds/a.txt', 'The army has 120,000 troops.');

describe('text matching', () => {
  it('normalises case, curly quotes and whitespace', () => {
    expect(normalizeText('  He said:\n “Didn’t   WORK”  ')).toBe('he said: "didn\'t work"');
  });

  it('accepts any one acceptable answer', () => {
    expect(containsAnswer('Around 120,000  troops.', ['14,000 miles', '120,000 troops'])).toBe(true);
    expect(containsAnswer('He didn’t achieve any goals', ["didn't achieve"])).toBe(true);
    expect(containsAnswer('120 000 troops', ['120,000'])).toBe(false);
  });

  it('matches sources across ./ prefixes and absolute paths only', () => {
    expect(sameSource('./seeds/a.txt', 'seeds/a.txt')).toBe(true);
    expect(sameSource('/repo/seeds/a.txt', 'seeds/a.txt')).toBe(true);
    expect(sameSource('other/a.txt', 'seeds/a.txt')).toBe(false);
    expect(sameSource('xseeds/a.txt', 'seeds/a.txt')).toBe(false);
  });
});

describe('coversEvidence', () => {
  const passage = (start: number, end: number, source = 'seeds/a.txt') => ({
    source,
    start,
    end,
    text: DOC_A.slice(start, end),
  });

  it('located the gold quote where we computed by hand', () => {
    expect([G.start, G.end]).toEqual([13, 41]);
  });

  it('counts a passage whose text includes the quote', () => {
    expect(coversEvidence(passage(0, 57), G)).toBe(true);
  });

  it('counts a passage overlapping exactly half of the quote, not less', () => {
    expect(coversEvidence(passage(0, 27), G)).toBe(true); // overlap [13, 27) = 14 of 28
    expect(coversEvidence(passage(0, 26), G)).toBe(false); // overlap 13 of 28
    expect(coversEvidence(passage(27, 69), G)).toBe(true); // overlap [27, 41) = 14
  });

  it("leaves a Markdown quote's heading or list markup out of what must be covered", () => {
    const md = 'Intro.\n\n#### next\n\nEmitted every time a task is completed.\n';
    const gold = locateEvidence(md, { file: 'seeds/a.md', quote: '#### next' });
    const heading = md.indexOf('next');
    const unit = { source: 'seeds/a.md', start: heading, end: md.length - 1, text: md.slice(heading, -1) };
    expect(gold && coversEvidence(unit, gold)).toBe(true);
    // The quote's own words still count: a unit that holds only its first letters does not cover it.
    expect(gold && coversEvidence({ ...unit, start: heading + 3, text: md.slice(heading + 3, -1) }, gold)).toBe(false);
  });

  it('needs the same source file', () => {
    expect(coversEvidence(passage(0, 69, 'seeds/b.txt'), G)).toBe(false);
  });
});

describe('locateEvidence', () => {
  const file = 'Intro.\nThe council said the “new bridge”\nwill open in\n  March. A long-\u200Brange plan.';

  it('finds a quote copied from the page where the file wraps lines and curls its quote marks', () => {
    const g = locateEvidence(file, { file: 'a.md', quote: 'said the "new bridge" will open in March.' });
    expect(g && file.slice(g.start, g.end)).toBe('said the “new bridge”\nwill open in\n  March.');
    expect(g?.quote).toBe(g && file.slice(g.start, g.end));
    expect(locateEvidence(file, { file: 'a.pdf', quote: 'A long-range plan.' })?.quote).toBe('A long-\u200Brange plan.');
  });

  it('finds nothing where the words differ', () => {
    expect(locateEvidence(file, { file: 'a.md', quote: 'will open in April.' })).toBeNull();
    expect(locateEvidence(file, { file: 'a.md', quote: 'said the new bridge' })).toBeNull();
  });
});

describe('verbatimError', () => {
  const c = cite(1, 'seeds/a.txt', 'The army has 120,000 troops.', '120,000 troops');

  it('passes a faithful citation', () => {
    expect(verbatimError(c, DOC_A)).toBeNull();
  });

  it('names what is wrong otherwise', () => {
    expect(verbatimError(c, undefined)).toBe('source document unavailable');
    expect(verbatimError({ ...c, end: 999 }, DOC_A)).toBe('offsets [13, 999) out of range');
    expect(verbatimError({ ...c, text: 'The army has 120,000 troops!' }, DOC_A)).toBe(
      'text differs from source slice(start, end)',
    );
    expect(verbatimError({ ...c, quote: '' }, DOC_A)).toBe('empty quote');
    expect(verbatimError({ ...c, quote: '130,000' }, DOC_A)).toBe('quote is not a substring of text');
  });
});

describe('scoreQuestion + summarize (hand-computed scenario)', () => {
  const unanswerable = { answerable: false, answers: [], evidence: [], tags: ['unanswerable' as const] };
  const doha = cite(1, 'seeds/b.txt', 'Talks were held in Doha.');
  const runs = [
    // q1: right answer; one gold citation whose quote has the answer, one irrelevant citation.
    run(
      question('q1'),
      response('They have 120,000 troops [1].', [
        cite(1, 'seeds/a.txt', 'The army has 120,000 troops.', '120,000 troops'),
        cite(2, 'seeds/a.txt', 'Gamma ends.'),
      ]),
      10,
    ),
    // q2: wrong answer, wrong citation.
    run(question('q2'), response('Beta is filler.', [cite(1, 'seeds/a.txt', 'Beta is filler.')]), 20),
    // q3: abstains although the gold passage was found (false abstention; citation excluded from precision).
    run(
      question('q3'),
      response('The articles do not say.', [cite(1, 'seeds/a.txt', 'The army has 120,000 troops.')], true),
      30,
    ),
    // q4: unanswerable, correctly abstained, but its closest-passage citation is not verbatim.
    run(
      question('q4', unanswerable),
      response('Not stated.', [{ ...doha, text: 'Talks were held in Doha!' }], true),
      40,
    ),
    // q5: unanswerable but answered.
    run(
      question('q5', unanswerable),
      response('Delta begins.', [cite(1, 'seeds/b.txt', 'Delta begins.')]),
      50,
    ),
    // q6: the engine threw.
    run(question('q6'), undefined, 60),
  ];
  const scores = runs.map(scoreQuestion);
  const s = summarize(scores);

  it('scores single questions', () => {
    expect(scores[0]).toMatchObject({ answerCorrect: true, citationHit: true, failures: [] });
    expect(scores[0]?.citations.map((c) => [c.supports, c.quoteHasAnswer])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(scores[1]?.failures).toEqual([
      'answer lacks every acceptable answer',
      'no citation contains gold evidence',
    ]);
    expect(scores[2]).toMatchObject({ abstained: true, answerCorrect: false, citationHit: false });
    expect(scores[2]?.failures).toEqual(['false abstention']);
    expect(scores[3]?.failures).toEqual([
      'citation [1] not verbatim: text differs from source slice(start, end)',
    ]);
    expect(scores[4]?.failures).toEqual(['answered an unanswerable question']);
    expect(scores[5]?.failures).toEqual(['error: boom']);
  });

  it('aggregates exactly as defined in README', () => {
    expect(s).toMatchObject({ questions: 6, answerable: 4, unanswerable: 2, errors: 1 });
    expect(s.answerAccuracy).toEqual(ratio(1, 4));
    expect(s.citationRecall).toEqual(ratio(1, 4));
    // Citations of answered answerable questions: q1's two + q2's one.
    expect(s.citationPrecision).toEqual(ratio(1, 3));
    expect(s.quotePrecision).toEqual(ratio(1, 3));
    // Every citation shown to a user: 2 + 1 + 1 + 1 + 1, one of them tampered.
    expect(s.verbatimIntegrity).toEqual(ratio(5, 6));
    expect(s.abstention).toEqual(ratio(1, 2));
    expect(s.falseAbstention).toEqual(ratio(1, 4));
    expect(s.multiDocCoverage).toEqual({ num: 0, den: 0, value: null });
  });

  it('breaks down by tag', () => {
    const byTag = summarizeByTag(scores);
    expect(byTag['how-many']).toMatchObject({ questions: 4, answerAccuracy: ratio(1, 4) });
    expect(byTag.unanswerable).toMatchObject({ questions: 2, abstention: ratio(1, 2) });
    expect(byTag.unanswerable?.answerAccuracy.value).toBeNull();
  });

  it('takes latency percentiles over successful calls only', () => {
    // Wall times 10..50 (q6 errored): nearest rank p50 = ceil(2.5) = 3rd = 30, p95 = ceil(4.75) = 5th = 50.
    expect(summarizeLatency(scores)).toEqual({ p50Ms: 30, p95Ms: 50, engineP50Ms: 10, engineP95Ms: 10 });
  });
});

describe('multi-doc coverage', () => {
  const q = question('m', {
    answers: ['120,000', 'Doha'],
    evidence: [
      { file: 'seeds/a.txt', quote: 'The army has 120,000 troops.' },
      { file: 'seeds/b.txt', quote: 'Talks were held in Doha.' },
    ],
    tags: ['multi-doc'],
  });
  const a = cite(1, 'seeds/a.txt', 'The army has 120,000 troops.');
  const b = cite(2, 'seeds/b.txt', 'Talks were held in Doha.');

  it('needs gold evidence from every evidence file', () => {
    expect(scoreQuestion(run(q, response('120,000 [1]', [a]))).multiDocCovered).toBe(false);
    expect(scoreQuestion(run(q, response('120,000 [1] Doha [2]', [a, b]))).multiDocCovered).toBe(true);
    expect(summarize([scoreQuestion(run(q, response('x', [a])))]).multiDocCoverage).toEqual(ratio(0, 1));
  });
});

describe('percentile (nearest rank)', () => {
  it('picks the ceil(p·n)-th smallest value', () => {
    const values = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('retrieval metrics', () => {
  it('ranks the first passage containing gold evidence', () => {
    const filler = { source: 'seeds/a.txt', start: 42, end: 57, text: 'Beta is filler.' };
    const hit = { source: 'seeds/a.txt', start: 13, end: 41, text: 'The army has 120,000 troops.' };
    expect(firstRelevantRank([filler, hit, hit], [G])).toBe(2);
    expect(firstRelevantRank([filler], [G])).toBeNull();
  });

  it('computes recall@k and MRR', () => {
    const r = summarizeRetrieval([1, 3, null, 6]);
    expect(r.recallAt['1']).toEqual(ratio(1, 4));
    expect(r.recallAt['3']).toEqual(ratio(2, 4));
    expect(r.recallAt['5']).toEqual(ratio(2, 4));
    expect(r.recallAt['10']).toEqual(ratio(3, 4));
    expect(r.mrr).toBeCloseTo((1 + 1 / 3 + 0 + 1 / 6) / 4); // 0.375
    expect(summarizeRetrieval([]).mrr).toBeNull();
  });
});

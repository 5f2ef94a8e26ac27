import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../test/helpers.ts';
import { parseCli } from './cli.ts';
import { DRAFT_FILE, draftsFromFeedback, guessTags } from './from-feedback.ts';
import { parseQuestionSet, QuestionSchema } from './schema.ts';

const line = (o: object) => JSON.stringify(o);
const down = {
  id: 'a',
  timestamp: '2026-11-30T12:00:00.000Z',
  rating: 'down',
  comment: 'Wrong date: the talks started on August 6.',
  question: 'When did the talks start?',
  history: [],
  answer: 'The talks began on Monday [1].',
  abstained: false,
  citations: [{ marker: 1, docId: 'x', source: 'seeds/x.txt', title: 'X', start: 0, end: 9, quote: 'On Monday.' }],
};
const feedback = [
  line(down),
  line({ ...down, id: 'b', rating: 'up', question: 'Who is Hanna Liubakova?' }),
  line({ ...down, id: 'c' }), // the same 👎 again: one draft
  '{not json',
  '',
  line({
    ...down,
    id: 'd',
    comment: '',
    question: 'What did he say about sanctions?',
    history: [
      { role: 'user', content: 'What did Putin tell Lukashenko?' },
      { role: 'assistant', content: 'He said … [1]' },
    ],
  }),
].join('\n');

describe('--from-feedback', () => {
  it('drafts one question per distinct 👎, in the eval format with answers and evidence to fill in', () => {
    const { drafts, skipped, thumbsUp } = draftsFromFeedback(feedback);
    expect({ skipped, thumbsUp }).toEqual({ skipped: 1, thumbsUp: 1 });
    expect(drafts.map((d) => d.question)).toEqual(['When did the talks start?', 'What did he say about sanctions?']);
    const [first, followUp] = drafts;
    expect(first).toMatchObject({ v: 1, answerable: true, answers: [], evidence: [], tags: ['when'] });
    expect(first?.id).toMatch(/^fb-[0-9a-f]{10}$/);
    expect(first?.draft).toMatchObject({
      comment: down.comment,
      answerGiven: down.answer,
      cited: [{ file: 'seeds/x.txt', quote: 'On Monday.' }],
      feedbackAt: down.timestamp,
    });
    expect(followUp?.tags).toEqual(['what', 'follow-up']);
    expect(followUp?.history).toHaveLength(2);
    expect(followUp?.draft.comment).toBeUndefined();

    // Once an evaluator fills it in and removes `draft`, it is a valid question of the set.
    const { draft: _, ...rest } = first!;
    const completed = { ...rest, answers: ['August 6'], evidence: [{ file: 'seeds/x.txt', quote: 'On August 6.' }] };
    expect(QuestionSchema.safeParse(completed).success).toBe(true);
    // As drafted, the set is refused, so an unfinished draft can't be scored by mistake.
    expect(() => parseQuestionSet(drafts.map((d) => JSON.stringify(d)).join('\n'))).toThrow(/answers|draft/);
  });

  it('guesses the question kind', () => {
    expect(guessTags('How many troops were deployed?', false)).toEqual(['how-many']);
    expect(guessTags('Who is he?', false)).toEqual(['who']);
    expect(guessTags('Where were the talks?', false)).toEqual(['where']);
    expect(guessTags('Did Putin agree?', true)).toEqual(['yes-no', 'follow-up']);
  });

  it('takes an optional file on the command line', () => {
    expect(parseCli([], {}).fromFeedback).toBeNull();
    expect(parseCli(['--from-feedback'], {}).fromFeedback).toBe('data/feedback.jsonl');
    expect(parseCli(['--from-feedback', '--out', 'o'], {})).toMatchObject({ fromFeedback: 'data/feedback.jsonl', out: 'o' });
    expect(parseCli(['--from-feedback', 'f.jsonl'], {}).fromFeedback).toBe('f.jsonl');
  });

  it('npm run eval -- --from-feedback <file> writes the draft set', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'footnote-fb-'));
    const file = path.join(dir, 'feedback.jsonl');
    await writeFile(file, feedback);
    const out = path.join(dir, 'out');
    const { code, stdout } = await run(['evals/run.ts', '--from-feedback', file, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Wrote 2 draft questions/);
    const written = (await readFile(path.join(out, DRAFT_FILE), 'utf8')).trim().split('\n');
    expect(written.map((l) => JSON.parse(l).question)).toEqual([
      'When did the talks start?',
      'What did he say about sanctions?',
    ]);
    const missing = await run(['evals/run.ts', '--from-feedback', path.join(dir, 'nope.jsonl'), '--out', out]);
    expect(missing.code).toBe(2);
  });
});

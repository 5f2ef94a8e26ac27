import { describe, expect, it } from 'vitest';
import { parseQuestionSet, QuestionSetError } from './schema.ts';

const ok = {
  v: 1,
  id: 'q-one',
  question: 'How many?',
  answerable: true,
  answers: ['3'],
  evidence: [{ file: 'seeds/a.txt', quote: 'three' }],
  tags: ['how-many'],
};
const line = (patch: Record<string, unknown>) => JSON.stringify({ ...ok, ...patch });

function issuesOf(text: string): string[] {
  try {
    parseQuestionSet(text);
  } catch (err) {
    if (err instanceof QuestionSetError) return err.issues;
    throw err;
  }
  return [];
}

describe('parseQuestionSet', () => {
  it('parses valid lines and skips blank ones', () => {
    const qs = parseQuestionSet(`${line({})}\n\n${line({ id: 'q-two' })}\n`);
    expect(qs.map((q) => q.id)).toEqual(['q-one', 'q-two']);
  });

  it('reports invalid JSON with its line number', () => {
    expect(issuesOf(`${line({})}\n{oops`)).toEqual([expect.stringMatching(/^line 2: invalid JSON/)]);
  });

  it('reports schema problems with line number and path', () => {
    const issues = issuesOf(
      `${line({})}\n${line({ id: 'q-2', v: 2 })}\n${line({ id: 'q-3', tags: ['nope'] })}`,
    );
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^line 2: v: /);
    expect(issues[1]).toMatch(/^line 3: tags\.0: /);
  });

  it('reports duplicate ids with both lines', () => {
    expect(issuesOf(`${line({})}\n${line({})}`)).toEqual(['line 2: duplicate id "q-one" (first on line 1)']);
  });

  it('enforces the answerable / unanswerable shape', () => {
    const unanswerableWithAnswers = line({ answerable: false, tags: ['unanswerable'] });
    expect(issuesOf(unanswerableWithAnswers).join('\n')).toMatch(/line 1: answers: .*no answers/);
    const answerableTaggedUnanswerable = line({ tags: ['unanswerable'] });
    expect(issuesOf(answerableTaggedUnanswerable)).toEqual([
      'line 1: tags: answerable question tagged unanswerable',
    ]);
  });

  it('ties history to the follow-up tag and multi-doc to two files', () => {
    expect(issuesOf(line({ tags: ['follow-up'] }))).toEqual([
      'line 1: tags: history and the follow-up tag go together',
    ]);
    expect(issuesOf(line({ tags: ['multi-doc'] }))).toEqual([
      'line 1: evidence: multi-doc questions need evidence from at least two files',
    ]);
  });

  it('rejects unknown fields and an empty set', () => {
    expect(issuesOf(line({ extra: 1 }))[0]).toMatch(/^line 1: /);
    expect(issuesOf('\n\n')).toEqual(['the set contains no questions']);
  });
});

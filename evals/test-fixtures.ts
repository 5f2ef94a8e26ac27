import type { AskResponse, Citation } from './contract.ts';
import { type GoldEvidence, locateEvidence, type QuestionRun, summarizeRetrieval } from './metrics.ts';
import { buildReport, type Report } from './report.ts';
import type { Question } from './schema.ts';

/** A tiny fake corpus so metric tests can be checked by hand. */
export const DOC_A = 'Alpha opens. The army has 120,000 troops. Beta is filler. Gamma ends.';
export const DOC_B = 'Delta begins. Talks were held in Doha. Epsilon closes.';
export const SOURCES: Record<string, string> = { 'seeds/a.txt': DOC_A, 'seeds/b.txt': DOC_B };
const DOC_IDS: Record<string, string> = { 'seeds/a.txt': 'a', 'seeds/b.txt': 'b' };

export function gold(file: string, quote: string): GoldEvidence {
  const located = locateEvidence(SOURCES[file] ?? '', { file, quote });
  if (located === null) throw new Error(`fixture quote not found: ${quote}`);
  return located;
}

/** A citation of `passage` (a substring of the file), highlighting `quote`. */
export function cite(marker: number, file: string, passage: string, quote = passage): Citation {
  const text = SOURCES[file] ?? '';
  const start = text.indexOf(passage);
  if (start < 0) throw new Error(`fixture passage not found: ${passage}`);
  return {
    marker,
    docId: DOC_IDS[file] ?? file,
    source: file,
    title: file,
    start,
    end: start + passage.length,
    text: passage,
    quote,
    score: 1,
  };
}

export function question(id: string, patch: Partial<Question> = {}): Question {
  return {
    v: 1,
    id,
    question: `question ${id}?`,
    answerable: true,
    answers: ['120,000'],
    evidence: [{ file: 'seeds/a.txt', quote: 'The army has 120,000 troops.' }],
    tags: ['how-many'],
    ...patch,
  };
}

export function response(
  answer: string,
  citations: Citation[],
  abstained = false,
  totalMs = 10,
): AskResponse {
  return { answer, abstained, citations, timings: { retrieveMs: 1, answerMs: totalMs - 1, totalMs } };
}

export function run(q: Question, res: AskResponse | undefined, latencyMs = 20): QuestionRun {
  const documents = new Map(Object.entries(SOURCES).map(([file, text]) => [DOC_IDS[file] ?? file, text]));
  return {
    question: q,
    gold: q.evidence.map((e) => gold(e.file, e.quote)),
    ...(res === undefined ? { error: 'boom' } : { response: res }),
    latencyMs,
    documents,
  };
}

/** Two answered questions (one right, one wrong) and one correctly abstained unanswerable one. */
export function sampleReport(createdAt = '2025-01-01T00:00:00.000Z'): Report {
  const right = run(
    question('right'),
    response('120,000 [1]', [cite(1, 'seeds/a.txt', 'The army has 120,000 troops.', '120,000 troops')]),
    100,
  );
  const wrong = run(
    question('wrong | pipe', { question: 'Which | pipe?' }),
    response('Beta is filler.', [cite(1, 'seeds/a.txt', 'Beta is filler.')]),
    300,
  );
  const abstain = run(
    question('none', { answerable: false, answers: [], evidence: [], tags: ['unanswerable'] }),
    response('Not stated.', [], true),
    200,
  );
  const summary = summarizeRetrieval([1, null]);
  const ranks = new Map([
    ['right', { hybrid: 1 }],
    ['wrong | pipe', { hybrid: null }],
  ]);
  return buildReport(
    { createdAt, mode: 'in-process', target: 'in-process data/index', questionSet: 'evals/dev.jsonl' },
    [right, wrong, abstain],
    { section: { note: null, modes: { hybrid: summary }, errors: { dense: 'model missing' } }, ranks },
  );
}

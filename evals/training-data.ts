import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../server/qa/engine.ts';
import { DECISION_FEATURES, FEATURES } from '../server/qa/features.ts';
import { scorerFrom } from '../server/qa/scorer.ts';
import { type Corpus, ensureCorpusIndex } from './corpora.ts';
import { containsAnswer, locateEvidence, sameSource } from './metrics.ts';
import { parseQuestionSet, type Question } from './schema.ts';
import { readSourceFile } from './sources.ts';
import { syntheticQuestions } from './synthetic.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The candidates of one question: feature rows, and whether each unit answers it (gold evidence + answer). */
export interface QuestionRows {
  set: string;
  id: string;
  answerable: boolean;
  rows: number[][];
  labels: number[];
  /** Where each candidate quotes from: document, start, end. */
  places: Array<[string, number, number]>;
}

/** Scores nothing (all weights 0): extraction needs every candidate's features, not a decision. */
const zero = (features: readonly string[]) => ({
  features: [...features],
  mean: features.map(() => 0),
  scale: features.map(() => 1),
  weights: features.map(() => 0),
  bias: 0,
});
export const NEUTRAL_SCORER = scorerFrom({ candidate: zero(FEATURES), decision: zero(DECISION_FEATURES), threshold: 0 });

export async function readSet(file: string): Promise<{ questions: Question[]; sha256: string }> {
  const text = await readFile(new URL(file, `file://${REPO_ROOT}/`), 'utf8');
  return { questions: parseQuestionSet(text), sha256: createHash('sha256').update(text).digest('hex') };
}

/** Runs every question of `file` through the engine and labels each candidate unit. */
export async function extractRows(engine: Engine, file: string, questions: Question[]): Promise<QuestionRows[]> {
  const out: QuestionRows[] = [];
  for (const q of questions) {
    const gold = await Promise.all(
      q.evidence.map(async (e) => locateEvidence(await readSourceFile(e.file, REPO_ROOT), e)),
    );
    const r = await engine.answer({ question: q.question, ...(q.history ? { history: q.history } : {}) }, NEUTRAL_SCORER);
    const rows: number[][] = [];
    const labels: number[] = [];
    const places: QuestionRows['places'] = [];
    for (const c of r.candidates) {
      const doc = engine.documents.get(c.unit.hit.passage.docId);
      const supported = gold.some(
        (g) => g && doc && sameSource(doc.source, g.file) && c.unit.start < g.end && g.start < c.unit.end,
      );
      rows.push(c.values);
      places.push([c.unit.hit.passage.docId, c.unit.start, c.unit.end]);
      labels.push(q.answerable && supported && containsAnswer(c.unit.text, q.answers) ? 1 : 0);
    }
    out.push({ set: file, id: q.id, answerable: q.answerable, rows, labels, places });
  }
  return out;
}

export async function corpusRows(corpus: Corpus, loadEngine: (indexDir: string) => Promise<Engine>) {
  ensureCorpusIndex(corpus);
  const engine = await loadEngine(corpus.indexDir);
  const { questions, sha256 } = await readSet(corpus.dev);
  const synthetic = syntheticQuestions(engine, corpus.dir);
  return {
    rows: await extractRows(engine, corpus.dev, questions),
    synthetic: await extractRows(engine, `${corpus.name}:synthetic`, synthetic),
    sha256,
    questions: questions.length,
  };
}

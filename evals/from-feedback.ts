import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QUESTION_FORMAT_VERSION, type Tag } from './schema.ts';

/**
 * `npm run eval -- --from-feedback [file]`: the 👎 lines of `data/feedback.jsonl` (written by POST
 * /feedback) become a draft question set in the eval format (README.md). A draft is not a valid set on
 * purpose: `answers` and `evidence` are empty and a `draft` field carries what the reader saw and said,
 * so `parseQuestionSet` refuses it until an evaluator has filled in the answers and evidence (or marked
 * the question unanswerable) and removed `draft`.
 */

export const DEFAULT_FEEDBACK_FILE = 'data/feedback.jsonl';
export const DRAFT_FILE = 'feedback-draft.jsonl';

interface FeedbackLine {
  rating?: string;
  comment?: string;
  question?: string;
  history?: { role: 'user' | 'assistant'; content: string }[];
  answer?: string;
  abstained?: boolean;
  citations?: { source?: string; quote?: string; title?: string }[];
  timestamp?: string;
}

export interface DraftQuestion {
  v: typeof QUESTION_FORMAT_VERSION;
  id: string;
  question: string;
  history?: { role: 'user' | 'assistant'; content: string }[];
  answerable: boolean;
  answers: string[];
  evidence: { file: string; quote: string }[];
  tags: Tag[];
  draft: {
    note: string;
    comment?: string;
    answerGiven: string;
    abstained: boolean;
    cited: { file: string; quote: string }[];
    feedbackAt?: string;
  };
}

/** The question's kind, guessed from its first words; the evaluator corrects it. */
export function guessTags(question: string, hasHistory: boolean): Tag[] {
  const q = question.trim().toLowerCase();
  const kind: Tag = /^how (many|much)\b/.test(q)
    ? 'how-many'
    : /^who\b/.test(q)
      ? 'who'
      : /^(when|what (date|day|year|time))\b/.test(q)
        ? 'when'
        : /^where\b/.test(q)
          ? 'where'
          : /^why\b/.test(q)
            ? 'why'
            : /^(is|are|was|were|did|does|do|has|have|had|can|could|will|would)\b/.test(q)
              ? 'yes-no'
              : 'what';
  return hasHistory ? [kind, 'follow-up'] : [kind];
}

const NOTE =
  'Draft from reader feedback (👎). Fill in answers and evidence ({file, quote}: an exact sentence of the file), ' +
  'or set answerable: false with the "unanswerable" tag; check the tags; then delete this "draft" field.';

/** Parses feedback JSONL (bad lines are skipped and counted) and drafts one question per distinct 👎. */
export function draftsFromFeedback(text: string): { drafts: DraftQuestion[]; skipped: number; thumbsUp: number } {
  const drafts: DraftQuestion[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let thumbsUp = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: FeedbackLine;
    try {
      line = JSON.parse(raw) as FeedbackLine;
    } catch {
      skipped++;
      continue;
    }
    if (line.rating === 'up') {
      thumbsUp++;
      continue;
    }
    const question = typeof line.question === 'string' ? line.question.trim() : '';
    if (line.rating !== 'down' || !question) {
      skipped++;
      continue;
    }
    const history = (Array.isArray(line.history) ? line.history : []).filter(
      (t) => (t?.role === 'user' || t?.role === 'assistant') && typeof t.content === 'string' && t.content.trim(),
    );
    const key = JSON.stringify([question.toLowerCase(), history]);
    if (seen.has(key)) continue;
    seen.add(key);
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
    const comment = typeof line.comment === 'string' && line.comment.trim() ? line.comment.trim() : undefined;
    drafts.push({
      v: QUESTION_FORMAT_VERSION,
      id: `fb-${hash}`,
      question,
      ...(history.length ? { history } : {}),
      answerable: true,
      answers: [],
      evidence: [],
      tags: guessTags(question, history.length > 0),
      draft: {
        note: NOTE,
        ...(comment ? { comment } : {}),
        answerGiven: typeof line.answer === 'string' ? line.answer : '',
        abstained: line.abstained === true,
        cited: (Array.isArray(line.citations) ? line.citations : [])
          .filter((c) => typeof c?.source === 'string' && typeof c.quote === 'string')
          .map((c) => ({ file: c.source as string, quote: c.quote as string })),
        ...(line.timestamp ? { feedbackAt: line.timestamp } : {}),
      },
    });
  }
  return { drafts, skipped, thumbsUp };
}

/** Reads `feedbackFile`, writes `<outDir>/feedback-draft.jsonl`; returns a one-line summary. */
export async function writeFeedbackDraft(feedbackFile: string, outDir: string): Promise<string> {
  const { drafts, skipped, thumbsUp } = draftsFromFeedback(await readFile(feedbackFile, 'utf8'));
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, DRAFT_FILE);
  await writeFile(out, drafts.map((d) => `${JSON.stringify(d)}\n`).join(''));
  const notes = [`${thumbsUp} 👍 left out`, skipped ? `${skipped} unreadable lines skipped` : ''].filter(Boolean);
  return `Wrote ${drafts.length} draft question${drafts.length === 1 ? '' : 's'} from 👎 feedback to ${out} (${notes.join(', ')}).\nComplete answers and evidence, delete each "draft" field, then run: npm run eval -- --set ${out}`;
}

import { z } from 'zod';

/** Bump when a line's shape changes; every line carries it so sets can be concatenated safely. */
export const QUESTION_FORMAT_VERSION = 1;

export const TAGS = [
  'who',
  'when',
  'where',
  'how-many',
  'why',
  'yes-no',
  'what',
  'paraphrase',
  'multi-doc',
  'follow-up',
  'spelling',
  'unanswerable',
] as const;
export type Tag = (typeof TAGS)[number];

export const ChatMessageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string().min(1),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const EvidenceSchema = z.object({
  /** Absolute, or relative to where the eval runs or to the repo root, e.g. `seeds/001_774f863917ca1d6a.txt`. */
  file: z.string().min(1),
  /** Exact substring of the file's text as Footnote reads it (HTML as text, PDF and Word extracted). */
  quote: z.string().min(1),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const QuestionSchema = z
  .object({
    v: z.literal(QUESTION_FORMAT_VERSION),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are lowercase slugs'),
    question: z.string().min(1),
    history: z.array(ChatMessageSchema).optional(),
    answerable: z.boolean(),
    answers: z.array(z.string().trim().min(1)),
    evidence: z.array(EvidenceSchema),
    tags: z.array(z.enum(TAGS)).min(1),
  })
  .strict()
  .superRefine((q, ctx) => {
    const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (q.answerable) {
      if (q.answers.length === 0) issue('answerable questions need at least one answer', 'answers');
      if (q.evidence.length === 0) issue('answerable questions need evidence', 'evidence');
      if (q.tags.includes('unanswerable')) issue('answerable question tagged unanswerable', 'tags');
    } else {
      if (q.answers.length > 0) issue('unanswerable questions have no answers', 'answers');
      if (q.evidence.length > 0) issue('unanswerable questions have no evidence', 'evidence');
      if (!q.tags.includes('unanswerable')) issue('unanswerable questions must be tagged so', 'tags');
    }
    const hasHistory = (q.history?.length ?? 0) > 0;
    if (hasHistory !== q.tags.includes('follow-up'))
      issue('history and the follow-up tag go together', 'tags');
    if (q.tags.includes('multi-doc') && new Set(q.evidence.map((e) => e.file)).size < 2) {
      issue('multi-doc questions need evidence from at least two files', 'evidence');
    }
  });
export type Question = z.infer<typeof QuestionSchema>;

export class QuestionSetError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid question set:\n${issues.join('\n')}`);
    this.name = 'QuestionSetError';
  }
}

function formatIssue(line: number, issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `line ${line}: ${path}${issue.message}`;
}

/** Parses JSONL (blank lines allowed); collects every problem, with 1-based line numbers, before throwing. */
export function parseQuestionSet(text: string): Question[] {
  const questions: Question[] = [];
  const issues: string[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      issues.push(`line ${line}: invalid JSON (${(err as Error).message})`);
      return;
    }
    const parsed = QuestionSchema.safeParse(json);
    if (!parsed.success) {
      issues.push(...parsed.error.issues.map((i) => formatIssue(line, i)));
      return;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) {
      issues.push(`line ${line}: duplicate id "${parsed.data.id}" (first on line ${first})`);
      return;
    }
    seen.set(parsed.data.id, line);
    questions.push(parsed.data);
  });
  if (issues.length > 0) throw new QuestionSetError(issues);
  if (questions.length === 0) throw new QuestionSetError(['the set contains no questions']);
  return questions;
}

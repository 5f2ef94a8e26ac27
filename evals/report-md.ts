import { RETRIEVAL_MODES } from './contract.ts';
import { ms, pct, ratioText } from './format.ts';
import { RECALL_KS } from './metrics.ts';
import { HEADLINE, isFailed, type QuestionDetail, type Report } from './report.ts';

/** Table cells must stay on one line and must not close the cell early. */
export function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

export function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Block quote that survives multi-line text. */
const mdQuote = (text: string) =>
  text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');

function summarySection(r: Report): string {
  const s = r.summary;
  const rows = HEADLINE.map((m) => [m.label, ratioText(s[m.key])]);
  rows.push(
    ['Latency p50 / p95 (runner wall clock)', `${ms(r.latency.p50Ms)} / ${ms(r.latency.p95Ms)}`],
    [
      'Latency p50 / p95 (engine timings.totalMs)',
      `${ms(r.latency.engineP50Ms)} / ${ms(r.latency.engineP95Ms)}`,
    ],
  );
  const counts = `${s.questions} questions (${s.answerable} answerable, ${s.unanswerable} unanswerable), ${s.errors} errors.`;
  return `## Summary\n\n${counts}\n\n${mdTable(['metric', 'value'], rows)}`;
}

function retrievalSection(r: Report): string {
  const parts = ['## Retrieval (gold evidence among retrieved passages)'];
  if (r.retrieval.note !== null) parts.push(r.retrieval.note);
  const rows = RETRIEVAL_MODES.flatMap((mode) => {
    const m = r.retrieval.modes[mode];
    const error = r.retrieval.errors[mode];
    if (m !== undefined) {
      return [[mode, ...RECALL_KS.map((k) => pct(m.recallAt[k].value)), m.mrr?.toFixed(3) ?? 'n/a']];
    }
    return error === undefined ? [] : [[mode, ...RECALL_KS.map(() => 'n/a'), `error: ${error}`]];
  });
  if (rows.length > 0) parts.push(mdTable(['mode', ...RECALL_KS.map((k) => `recall@${k}`), 'MRR'], rows));
  return parts.join('\n\n');
}

function tagSection(r: Report): string {
  const rows = Object.entries(r.byTag).map(([tag, t]) => [
    tag,
    String(t.questions),
    pct(t.answerAccuracy.value),
    pct(t.citationRecall.value),
    pct(t.abstention.value),
  ]);
  return `## By tag\n\n${mdTable(['tag', 'questions', 'accuracy', 'citation recall', 'abstention'], rows)}`;
}

function failureBlock(q: QuestionDetail): string {
  const lines = [`### \`${q.id}\` (${q.tags.join(', ')})`, '', ...q.failures.map((f) => `- **${f}**`), ''];
  for (const m of q.history) lines.push(`- history (${m.role}): ${m.content}`);
  lines.push(`- question: ${q.question}`);
  lines.push(
    q.answerable
      ? `- expected answers (any one): ${q.expectedAnswers.map((a) => `\`${a}\``).join(', ')}`
      : '- expected: abstain (the articles do not say)',
  );
  for (const e of q.expectedEvidence) lines.push(`- expected evidence (${e.file}): “${e.quote}”`);
  const ranks = Object.entries(q.retrievalRanks).map(([mode, rank]) => `${mode} ${rank ?? '>k'}`);
  if (ranks.length > 0) lines.push(`- first gold passage rank: ${ranks.join(', ')}`);
  if (q.chosenCandidate) {
    const c = q.chosenCandidate;
    lines.push(`- scorer's first candidate (p ${c.probability}, ${c.source}): “${oneLine(c.text)}”`);
    if (q.answerable) {
      const g = q.goldCandidate;
      lines.push(
        g
          ? `- gold candidate: #${g.rank} (p ${g.probability}): “${oneLine(g.text)}”`
          : '- gold candidate: not among the top candidates (a retrieval or candidate miss)',
      );
    }
  }
  lines.push(
    `- abstained: ${q.abstained ? 'yes' : 'no'}`,
    '',
    '**Answered:**',
    '',
    mdQuote(q.answer ?? '(no answer)'),
  );
  if (q.citations.length > 0) {
    lines.push('', '**Cited:**', '');
    for (const c of q.citations) {
      // Gold and answer flags mean nothing for unanswerable questions.
      const flags = q.answerable
        ? [c.supports ? 'gold' : 'not gold', c.quoteHasAnswer ? 'quote has answer' : 'quote lacks answer']
        : [];
      if (c.verbatimError !== null) flags.push(`NOT VERBATIM: ${c.verbatimError}`);
      const note = flags.length > 0 ? ` (${flags.join('; ')})` : '';
      lines.push(`- [${c.marker}] ${c.source} [${c.start}, ${c.end})${note}: “${c.quote}”`);
    }
  }
  return lines.join('\n');
}

export function renderMarkdown(r: Report, chartFile: string): string {
  const failed = r.questions.filter(isFailed);
  return [
    '# Footnote citation-accuracy eval',
    `Run ${r.createdAt} · ${r.mode} · target ${r.target} · set ${r.questionSet}`,
    `![headline metrics](${chartFile})`,
    summarySection(r),
    retrievalSection(r),
    tagSection(r),
    `## Failed questions (${failed.length}/${r.questions.length})`,
    ...failed.map(failureBlock),
    '',
  ].join('\n\n');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CORPORA, type Corpus } from './corpora.ts';
import { ms, pct } from './format.ts';
import type { LatencySummary, Summary } from './metrics.ts';
import { HEADLINE, type RatioKey } from './report.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

interface RatioGateSpec {
  flag: string;
  key: RatioKey;
  kind: 'min' | 'max';
}

const RATIO_GATES: readonly RatioGateSpec[] = [
  { flag: 'min-accuracy', key: 'answerAccuracy', kind: 'min' },
  { flag: 'min-citation-recall', key: 'citationRecall', kind: 'min' },
  { flag: 'min-citation-precision', key: 'citationPrecision', kind: 'min' },
  { flag: 'min-quote-precision', key: 'quotePrecision', kind: 'min' },
  { flag: 'min-verbatim', key: 'verbatimIntegrity', kind: 'min' },
  { flag: 'min-abstention', key: 'abstention', kind: 'min' },
  { flag: 'max-false-abstention', key: 'falseAbstention', kind: 'max' },
  { flag: 'min-multi-doc', key: 'multiDocCoverage', kind: 'min' },
];

export const USAGE = `Usage: node --import tsx evals/run.ts [options]

  --url <http://host:port>   evaluate a running server over HTTP (POST /ask, GET /documents/:id);
                             default: load server/qa/index.ts in-process
  --corpus <seeds|sotu>      a corpus of evals/corpora.ts: (re)builds its own index, runs its dev set
  --docs <dir>               your own documents (.txt .md .html .pdf .docx): (re)builds their own index
                             under data/eval-index/ and runs --set against it
  --set <file.jsonl>         question set (default evals/dev.jsonl, or the corpus's dev set)
  --index-dir <dir>          index for in-process runs (default $INDEX_DIR or data/index)
  --models-dir <dir>         models for in-process runs (default $MODELS_DIR, else the engine's default)
  --out <dir>                where report.json, report.md and metrics.svg go (default evals/out)
  --compare <report.json>    print a side-by-side table against an earlier report
  --from-feedback [file]     write the 👎 answers of a feedback file (default data/feedback.jsonl) as a
                             draft question set, <out>/feedback-draft.jsonl, for an evaluator to complete
  --llm                      answers written by the language model of LLM_BASE_URL / LLM_MODEL, each
                             sentence verified (also without the flag when LLM_BASE_URL is set); reports
                             the supported-sentence rate
  -h, --help                 show this help

Thresholds (fractions 0–1; exit code 1 when any is missed):
${RATIO_GATES.map((g) => `  --${g.flag} <x>`).join('\n')}
  --max-p95-ms <ms>          runner-measured p95 latency

Exit codes: 0 ok, 1 a threshold was missed, 2 usage or input error.`;

export interface Gate {
  key: RatioKey;
  kind: 'min' | 'max';
  bound: number;
}

export interface CliOptions {
  help: boolean;
  url: string | null;
  /** A named corpus: its index is built before an in-process run. */
  corpus: Corpus | null;
  set: string;
  indexDir: string;
  modelsDir: string | null;
  out: string;
  compare: string | null;
  gates: Gate[];
  maxP95Ms: number | null;
  /** --from-feedback: the feedback file to draft questions from (no eval runs). */
  fromFeedback: string | null;
  /** --llm: generative answers (LLM_BASE_URL, LLM_MODEL). */
  llm: boolean;
}

function parseNumber(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${flag} expects a number in [${min}, ${max}], got "${raw}"`);
  }
  return value;
}

function parseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http(s)');
  return raw.replace(/\/+$/, '');
}

export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliOptions {
  const stringOption = { type: 'string' } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    // --from-feedback takes an optional file: without one (last, or before another flag) it gets the default.
    const args = argv.flatMap((a, i) =>
      a === '--from-feedback' && (i === argv.length - 1 || argv[i + 1]?.startsWith('-')) ? [a, ''] : [a],
    );
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        llm: { type: 'boolean' },
        url: stringOption,
        set: stringOption,
        'index-dir': stringOption,
        'models-dir': stringOption,
        out: stringOption,
        compare: stringOption,
        'from-feedback': stringOption,
        corpus: stringOption,
        docs: stringOption,
        'max-p95-ms': stringOption,
        ...Object.fromEntries(RATIO_GATES.map((g) => [g.flag, stringOption])),
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const str = (name: string): string | null => {
    const v = values[name];
    return typeof v === 'string' ? v : null;
  };
  // npm runs scripts from the repo root; a path the user typed is relative to where they typed it.
  const here = (p: string | null) => (p !== null && env.INIT_CWD ? path.resolve(env.INIT_CWD, p) : p);
  const userPath = (name: string) => here(str(name));
  const gates = RATIO_GATES.flatMap((g): Gate[] => {
    const raw = str(g.flag);
    return raw === null ? [] : [{ key: g.key, kind: g.kind, bound: parseNumber(g.flag, raw, 0, 1) }];
  });
  const p95 = str('max-p95-ms');
  const url = str('url');
  const corpusName = str('corpus');
  const named = corpusName === null ? null : CORPORA[corpusName];
  if (corpusName !== null && !named) {
    throw new UsageError(`--corpus must be one of ${Object.keys(CORPORA).join(', ')}`);
  }
  const set = userPath('set');
  const own = ownCorpus(userPath('docs'), set, userPath('index-dir'), corpusName !== null || url !== null);
  const corpus = named ?? own;
  return {
    help: values.help === true,
    url: url === null ? null : parseUrl(url),
    corpus,
    set: set ?? corpus?.dev ?? 'evals/dev.jsonl',
    indexDir: userPath('index-dir') ?? corpus?.indexDir ?? env.INDEX_DIR ?? 'data/index',
    modelsDir: userPath('models-dir') ?? env.MODELS_DIR ?? null,
    out: userPath('out') ?? 'evals/out',
    compare: userPath('compare'),
    gates,
    maxP95Ms: p95 === null ? null : parseNumber('max-p95-ms', p95, 0, Number.MAX_SAFE_INTEGER),
    fromFeedback: str('from-feedback') === '' ? 'data/feedback.jsonl' : userPath('from-feedback'),
    llm: values.llm === true,
  };
}

/** `--docs <dir>`: the user's own documents, indexed where no other folder's index is (or in --index-dir). */
function ownCorpus(dir: string | null, set: string | null, indexDir: string | null, elsewhere: boolean): Corpus | null {
  if (dir === null) return null;
  if (elsewhere) throw new UsageError('--docs runs in-process on your documents: not with --corpus or --url');
  if (set === null) throw new UsageError('--docs needs --set <your question set>');
  const abs = path.resolve(dir);
  const id = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  return { name: path.basename(abs), dir: abs, indexDir: indexDir ?? `data/eval-index/docs-${id}`, dev: set, holdout: [], trains: false };
}

/** Messages for every threshold missed; an unmeasured metric (no questions of that kind) misses too. */
export function missedThresholds(
  summary: Summary,
  latency: LatencySummary,
  gates: readonly Gate[],
  maxP95Ms: number | null,
): string[] {
  const label = (key: RatioKey) => HEADLINE.find((m) => m.key === key)?.label ?? key;
  const missed = gates.flatMap((g) => {
    const value = summary[g.key].value;
    const ok = value !== null && (g.kind === 'min' ? value >= g.bound : value <= g.bound);
    const op = g.kind === 'min' ? '>=' : '<=';
    return ok ? [] : [`${label(g.key)} ${pct(value)} (wanted ${op} ${pct(g.bound)})`];
  });
  if (maxP95Ms !== null && (latency.p95Ms === null || latency.p95Ms > maxP95Ms)) {
    missed.push(`Latency p95 ${ms(latency.p95Ms)} (wanted <= ${ms(maxP95Ms)})`);
  }
  return missed;
}

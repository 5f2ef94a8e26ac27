import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run, type RunningServer, startServer } from '../test/helpers.ts';
import { docxFile } from '../test/pdf-fixtures.ts';
import { ComparableReportSchema } from './report.ts';

// End to end: the real runner against the real engine on a fresh index of the seeds (built by test/global-setup).
const runEval = (args: string[]) => run(['evals/run.ts', ...args], { INDEX_DIR: inject('seedsIndexDir') });

let dir: string;
let smallSet: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'footnote-evals-'));
  const lines = (await readFile('evals/dev.jsonl', 'utf8')).split('\n');
  smallSet = path.join(dir, 'small.jsonl');
  await writeFile(
    smallSet,
    `${lines.slice(0, 3).join('\n')}\n${lines.find((l) => l.includes('"answerable":false'))}\n`,
  );
});

describe('evals/run.ts in-process', () => {
  it('writes the three reports with retrieval for every mode and all citations verbatim', async () => {
    const out = path.join(dir, 'in-process');
    const { code, stdout, stderr } = await runEval(['--out', out, '--min-verbatim', '1']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('Answer accuracy');
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    expect(ComparableReportSchema.safeParse(report).success).toBe(true);
    expect(Object.keys(report.retrieval.modes).sort()).toEqual(['bm25', 'dense', 'hybrid']);
    expect(report.summary.verbatimIntegrity.value).toBe(1);
    expect(await readFile(path.join(out, 'report.md'), 'utf8')).toContain('## Failed questions');
    expect(await readFile(path.join(out, 'metrics.svg'), 'utf8')).toMatch(/^<svg /);
  });

  it('exits 1 naming the missed threshold', async () => {
    const { code, stderr } = await runEval([
      '--set',
      smallSet,
      '--out',
      path.join(dir, 'gate'),
      '--max-p95-ms',
      '0',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/Thresholds missed:\n {2}- Latency p95 .* \(wanted <= 0\.0 ms\)/);
  });

  it('exits 2 on usage errors and invalid question sets', async () => {
    expect((await runEval(['--min-accuracy', '2'])).code).toBe(2);
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, '{"v":1}\n');
    const { code, stderr } = await runEval(['--set', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain('line 1: id:');
  });
});

describe("evals/run.ts on an evaluator's own corpus of HTML and Word files", () => {
  it('finds evidence quoted from the text a reader sees, and checks citations against the text indexed', async () => {
    // Run as `npm run eval` from the evaluator's folder: evidence paths are relative to it (INIT_CWD).
    const own = path.join(dir, 'own');
    await mkdir(path.join(own, 'docs'), { recursive: true });
    await writeFile(
      path.join(own, 'docs', 'bridge.html'),
      '<html><head><title>The new bridge</title></head><body><h1>The new bridge</h1>' +
        '<p>The city council opened the Harbour Bridge on <b>12 March 2024</b> after four years of work.</p>' +
        '<p>The bridge cost &pound;40 million and carries 30,000 cars a day.</p></body></html>',
    );
    await writeFile(
      path.join(own, 'docs', 'tunnel.docx'),
      await docxFile('The harbour tunnel', [
        'The harbour tunnel was dug by the Norwegian firm Fjellverk between 1995 and 1999.',
        'It is 2.4 kilometres long and lies 40 metres below the water.',
      ]),
    );
    const set = path.join(own, 'set.jsonl');
    const question = (id: string, q: string, answer: string, file: string, quote: string) =>
      JSON.stringify({ v: 1, id, question: q, answerable: true, answers: [answer], evidence: [{ file, quote }], tags: ['what'] });
    await writeFile(
      set,
      [
        question('cost', 'How much did the Harbour Bridge cost?', '40 million', 'docs/bridge.html', 'The bridge cost £40 million'),
        // Relative to the documents folder, as a writer reading only that folder would put it.
        question('length', 'How long is the harbour tunnel?', '2.4 kilometres', 'tunnel.docx', 'It is 2.4 kilometres long'),
      ].join('\n'),
    );
    // One command: --docs indexes the folder (under --index-dir here, to keep the repo's data/ clean).
    const out = path.join(own, 'out');
    const { code, stderr } = await run(
      ['evals/run.ts', '--docs', 'docs', '--index-dir', 'index', '--set', 'set.jsonl', '--out', 'out', '--min-verbatim', '1'],
      { INIT_CWD: own },
    );
    expect(code, stderr).toBe(0);
    // The folder's indexing shows as it runs (a folder of PDFs takes a while).
    expect(stderr).toMatch(/indexed 2 document\(s\), \d+ passage\(s\)/);
    const { summary } = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    expect(summary.answerAccuracy).toMatchObject({ num: 2, den: 2 });
    expect(summary.citationRecall).toMatchObject({ num: 2, den: 2 });
    expect(summary.verbatimIntegrity.num).toBeGreaterThan(0);
    expect(summary.verbatimIntegrity.value).toBe(1);
  });
});

describe('evals/run.ts over HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ INDEX_DIR: inject('seedsIndexDir') });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('scores the same answers as in-process, notes missing retrieval and compares', async () => {
    const base = path.join(dir, 'http-base');
    const out = path.join(dir, 'http');
    expect((await runEval(['--set', smallSet, '--out', base])).code).toBe(0);
    const { code, stdout, stderr } = await runEval([
      '--set',
      smallSet,
      '--url',
      server.url,
      '--out',
      out,
      '--compare',
      path.join(base, 'report.json'),
      '--min-verbatim',
      '1',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('Retrieval metrics are only available in-process');
    expect(stdout).toMatch(/Comparison: base in-process .* vs current http:\/\/127\.0\.0\.1/);
    const [inProcess, http] = await Promise.all(
      [base, out].map(async (d) => JSON.parse(await readFile(path.join(d, 'report.json'), 'utf8'))),
    );
    expect(http.summary.answerAccuracy).toEqual(inProcess.summary.answerAccuracy);
    expect(http.summary.verbatimIntegrity.value).toBe(1);
  });
});

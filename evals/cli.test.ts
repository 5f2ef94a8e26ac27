import { describe, expect, it } from 'vitest';
import { missedThresholds, parseCli, UsageError } from './cli.ts';
import { sampleReport } from './test-fixtures.ts';

describe('parseCli', () => {
  it('has sensible defaults, index dir from INDEX_DIR', () => {
    expect(parseCli([], {})).toMatchObject({
      url: null,
      set: 'evals/dev.jsonl',
      indexDir: 'data/index',
      out: 'evals/out',
      gates: [],
      maxP95Ms: null,
    });
    expect(parseCli([], { INDEX_DIR: '/idx' }).indexDir).toBe('/idx');
    expect(parseCli(['--index-dir', 'x'], { INDEX_DIR: '/idx' }).indexDir).toBe('x');
  });

  it('parses url and thresholds', () => {
    const o = parseCli(
      ['--url', 'http://localhost:8787/', '--min-accuracy', '0.9', '--max-false-abstention', '0.1'],
      {},
    );
    expect(o.url).toBe('http://localhost:8787');
    expect(o.gates).toEqual([
      { key: 'answerAccuracy', kind: 'min', bound: 0.9 },
      { key: 'falseAbstention', kind: 'max', bound: 0.1 },
    ]);
  });

  it('reads the paths a user types relative to where they ran npm, and --docs as their own corpus', () => {
    const env = { INIT_CWD: '/home/me/work' };
    const o = parseCli(['--docs', 'docs', '--set', 'q.jsonl', '--out', 'out'], env);
    expect(o).toMatchObject({ set: '/home/me/work/q.jsonl', out: '/home/me/work/out' });
    expect(o.corpus).toMatchObject({ name: 'docs', dir: '/home/me/work/docs', dev: '/home/me/work/q.jsonl' });
    expect(o.indexDir).toMatch(/^data\/eval-index\/docs-[0-9a-f]{12}$/);
    expect(parseCli(['--docs', 'docs', '--set', 'q.jsonl'], { INIT_CWD: '/elsewhere' }).indexDir).not.toBe(o.indexDir);
    // Defaults stay where the project keeps them.
    expect(parseCli(['--from-feedback'], env).fromFeedback).toBe('data/feedback.jsonl');
    expect(parseCli([], env).out).toBe('evals/out');
    expect(() => parseCli(['--docs', 'docs'], env)).toThrow(/--docs needs --set/);
    expect(() => parseCli(['--docs', 'docs', '--set', 'q.jsonl', '--corpus', 'sotu'], env)).toThrow(UsageError);
  });

  it('rejects bad usage', () => {
    expect(() => parseCli(['--nope'], {})).toThrow(UsageError);
    expect(() => parseCli(['stray'], {})).toThrow(UsageError);
    expect(() => parseCli(['--min-accuracy', '90'], {})).toThrow(/\[0, 1\]/);
    expect(() => parseCli(['--min-accuracy', ''], {})).toThrow(UsageError);
    expect(() => parseCli(['--url', 'localhost:8787'], {})).toThrow(/http/);
    expect(() => parseCli(['--url'], {})).toThrow(UsageError);
  });
});

describe('missedThresholds', () => {
  const { summary, latency } = sampleReport();

  it('passes when every gate is met', () => {
    const gates = [{ key: 'answerAccuracy' as const, kind: 'min' as const, bound: 0.5 }];
    expect(missedThresholds(summary, latency, gates, 300)).toEqual([]);
  });

  it('names each missed gate, including unmeasured ones', () => {
    const missed = missedThresholds(
      summary,
      latency,
      [
        { key: 'answerAccuracy', kind: 'min', bound: 0.9 },
        { key: 'multiDocCoverage', kind: 'min', bound: 0.5 },
        { key: 'falseAbstention', kind: 'max', bound: 0 },
      ],
      150,
    );
    expect(missed).toEqual([
      'Answer accuracy 50.0% (wanted >= 90.0%)',
      'Multi-doc coverage n/a (wanted >= 50.0%)',
      'Latency p95 300 ms (wanted <= 150 ms)',
    ]);
  });
});

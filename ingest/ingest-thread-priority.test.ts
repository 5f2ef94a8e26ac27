import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { IngestThread } from './ingest-thread.ts';

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
async function niceValues(): Promise<number[]> {
  const tids = await readdir('/proc/self/task');
  const stats = await Promise.all(tids.map((t) => readFile(`/proc/self/task/${t}/stat`, 'utf8').catch(() => '')));
  // Fields after the command name in parentheses (which may hold spaces): state is field 3, nice field 19.
  return stats.filter(Boolean).map((s) => Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]));
}

describe.runIf(process.platform === 'linux')('the ingest worker thread’s priority', () => {
  it('is the lowest for the server’s writer (the serving thread gets the CPU first), normal for the CLI', async () => {
    // The process's own priority (a CI runner may start it niced): every thread has it so far.
    const [base] = await niceValues();
    const cli = new IngestThread();
    await cli.prepare(inject('seedsIndexDir'));
    expect((await niceValues()).filter((n) => n !== base)).toEqual([]);
    const server = new IngestThread({ background: true });
    try {
      await server.prepare(inject('seedsIndexDir'));
      // The writer thread at 19, and any thread it started since (they inherit its value: one or more);
      // the process's main thread, which serves requests, unchanged.
      const after = await niceValues();
      expect(after[0]).toBe(base);
      const lowered = after.filter((n) => n !== base);
      if (base === 19) expect(lowered).toEqual([]);
      else {
        expect(lowered.length).toBeGreaterThan(0);
        expect(new Set(lowered)).toEqual(new Set([19]));
      }
    } finally {
      await server.close();
      await cli.close();
    }
  });
});

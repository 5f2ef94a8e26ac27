import { cp, mkdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { Corpus, MERGE_AFTER_MS } from '../server/live/corpus.ts';
import { readManifest } from '../store/generations.ts';
import { LiveEngine } from '../server/live/live-engine.ts';
import { silentLogger } from '../server/logger.ts';
import { QUESTIONS } from './questions.ts';
import { startServer } from './server.ts';
import { median, percentile } from './stats.ts';

/** What one add or delete through the documents API cost, and what readers saw meanwhile. */
export interface WriteSample {
  kind: 'add' | 'delete';
  ms: number;
  /** Whether questions were being asked back to back meanwhile. */
  underAsk: boolean;
  passages: number;
  /** /ask and /health requests that were in flight at any time during the write. */
  askDuring: { n: number; p50: number; p99: number; max: number };
  healthDuring: { n: number; p50: number; p99: number; max: number };
}

export interface WritesResult {
  scale: number;
  rounds: number;
  samples: WriteSample[];
  addMs: number;
  deleteMs: number;
  /** Worst /health during a write without /ask traffic: the event loop's longest wait. */
  healthAloneMax: number;
  /** Worst round's /ask p99 and /health max during a write under /ask traffic. */
  askP99: number;
  healthMax: number;
  /** Every /ask and /health request that overlapped a write under /ask traffic (after the first), pooled. */
  askDuring: { n: number; p50: number; p99: number; max: number };
  healthDuring: { n: number; p50: number; p99: number; max: number };
  /** The same readers while no write ran (between writes): what the machine gives without them. */
  askIdle: { n: number; p50: number; p99: number; max: number };
  healthIdle: { n: number; p50: number; p99: number; max: number };
  /**
   * The same writes through the documents API's code in this process, without HTTP or other traffic: their
   * time and the event loop's longest stall during each (what a write itself costs the serving thread).
   */
  inProcess: { addMs: number; deleteMs: number; maxStallMs: number; medianStallMs: number };
  /**
   * The merge of the writes' changes into a whole generation, which starts once writes have paused for
   * MERGE_AFTER_MS: from then until it is published, and what readers saw meanwhile.
   */
  merge: {
    ms: number;
    askDuring: { n: number; p50: number; p99: number; max: number };
    healthDuring: { n: number; p50: number; p99: number; max: number };
  };
  /** /ask and /health requests that failed during the whole run (each distinct reason once). */
  failed: { ask: number; health: number; reasons: string[] };
}

const ADMIN_TOKEN = 'bench-writes-admin-token';

/** About one printed page (~3,000 characters) of prose, different every round so it is never a duplicate. */
function page(round: number): string {
  const paragraphs = Array.from(
    { length: 6 },
    (_, i) =>
      `In the session of round ${round}, paragraph ${i + 1}, the committee on harbour works reported that the ` +
      `new breakwater at Port ${round * 7 + i} had cost ${1000 + round * 37 + i} thousand dollars, that the dredging ` +
      `of the channel was finished ahead of the spring floods, and that the treasury should provide for the ` +
      `lighthouse keepers, whose pay had not been raised since the war. The members asked the secretary to ` +
      `report again before the close of the session on the state of the coastal defences and the customs houses.`,
  );
  return paragraphs.join('\n\n');
}

interface Probe {
  start: number;
  end: number;
}

/** Requests sent back to back until `stop`: each one's start and end time, and how many failed. */
function loop(send: () => Promise<void>, gapMs: number) {
  const probes: Probe[] = [];
  let running = true;
  const failures: string[] = [];
  const done = (async () => {
    while (running) {
      const start = performance.now();
      await send().catch((err: unknown) => {
        failures.push(String((err as Error).cause ?? err));
      });
      probes.push({ start, end: performance.now() });
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  })();
  return {
    probes,
    failures,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

const stats = (ms: number[]) => ({
  n: ms.length,
  p50: percentile(ms, 50),
  p99: percentile(ms, 99),
  max: ms.length ? Math.max(...ms) : Number.NaN,
});

/** Latencies of the probes that overlapped [from, to]. */
const during = (probes: Probe[], from: number, to: number) =>
  stats(probes.filter((p) => p.end >= from && p.start <= to).map((p) => p.end - p.start));

/** Copies of the corpus folder and of the served index generation, so the cached ones stay as ingested. */
async function copyWorkspace(corpusDir: string, indexDir: string, workDir: string) {
  await rm(workDir, { recursive: true, force: true });
  // The index names its documents `<corpus folder name>/<file>`: the copy keeps the folder's name.
  const corpusCopy = path.join(workDir, path.basename(corpusDir));
  const indexCopy = path.join(workDir, 'index');
  const generation = path.join(`${indexCopy}.generations`, 'copied');
  await mkdir(path.dirname(generation), { recursive: true });
  await cp(corpusDir, corpusCopy, { recursive: true });
  await cp(path.resolve(path.dirname(indexDir), await readlink(indexDir)), generation, { recursive: true });
  await symlink(path.relative(workDir, generation), indexCopy, 'dir');
  return { corpusCopy, indexCopy };
}

/** `rounds` adds and deletes through `Corpus` in this process, the event loop's delay monitored. */
async function writesInProcess(corpusDir: string, indexDir: string, workDir: string, rounds: number, log: (msg: string) => void) {
  const { corpusCopy, indexCopy } = await copyWorkspace(corpusDir, indexDir, workDir);
  const live = new LiveEngine({ indexDir: indexCopy, modelsDir: MODELS_DIR, modelId: DEFAULT_MODEL_ID, logger: silentLogger });
  await live.reload();
  const corpus = new Corpus({ corpusDir: corpusCopy, indexDir: indexCopy, maxDocBytes: 1 << 22, live });
  await corpus.prepare();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const times: Record<'add' | 'delete', number[]> = { add: [], delete: [] };
  const stalls: number[] = [];
  const timed = async (kind: 'add' | 'delete', write: () => Promise<unknown>) => {
    delay.reset();
    delay.enable();
    const t0 = performance.now();
    await write();
    times[kind].push(performance.now() - t0);
    delay.disable();
    stalls.push(delay.max / 1e6);
    log(`  in process: ${kind} ${Math.round(performance.now() - t0)} ms, longest event-loop stall ${(delay.max / 1e6).toFixed(1)} ms`);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const id = `bench-in-process-${round}`;
      await timed('add', () => corpus.add({ id, title: `Harbour works, round ${round}`, body: page(round), format: 'text' }));
      await timed('delete', () => corpus.remove(id));
    }
  } finally {
    await corpus.close();
  }
  // The first write also warms up the code it runs: the median is over the writes after it.
  return {
    addMs: median(times.add),
    deleteMs: median(times.delete),
    maxStallMs: Math.max(...stalls),
    medianStallMs: median(stalls.slice(1)),
  };
}

/**
 * Adds and deletes one page through POST/DELETE /documents of a real server at `scale` passages, while one
 * client polls /health every 10 ms and, for the second half of the rounds, another asks questions back to back. Works on copies of the corpus
 * folder and of the served index generation, so the cached ones stay as ingested.
 */
export async function benchWrites(
  scale: number,
  corpusDir: string,
  indexDir: string,
  workDir: string,
  rounds: number,
  log: (msg: string) => void,
): Promise<WritesResult> {
  const inProcess = await writesInProcess(corpusDir, indexDir, workDir, rounds, log);
  const { corpusCopy, indexCopy } = await copyWorkspace(corpusDir, indexDir, workDir);

  const server = await startServer(indexCopy, 600_000, {
    CORPUS_DIR: corpusCopy,
    FOOTNOTE_ADMIN_TOKEN: ADMIN_TOKEN,
    // A write that rebuilds everything can take minutes at 100k: measure it rather than cut it off.
    REQUEST_TIMEOUT_MS: '900000',
    HANDLER_TIMEOUT_MS: '900000',
  });
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  let q = 0;
  const asking = () =>
    loop(async () => {
      const question = QUESTIONS[q++ % QUESTIONS.length];
      const r = await fetch(`${server.url}/ask`, { method: 'POST', headers, body: JSON.stringify(question) });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`/ask got HTTP ${r.status}`);
    }, 0);
  // The first half of the rounds with /health alone (what a write costs the event loop), the rest under
  // questions asked back to back (where /health also waits for the answer being computed).
  let ask: ReturnType<typeof loop> | null = null;
  let askFrom = 0;
  const health = loop(async () => {
    const r = await fetch(`${server.url}/health`);
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`/health got HTTP ${r.status}`);
  }, 10);
  const samples: WriteSample[] = [];
  const windows: Array<[number, number]> = [];
  let merge: WritesResult['merge'] | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      const id = `bench-write-${round}`;
      if (round === Math.floor(rounds / 2)) {
        ask = asking();
        askFrom = performance.now();
      }
      const write = async (kind: WriteSample['kind'], send: () => Promise<Response>) => {
        // A moment of reading alone between writes, so each write's window holds only its own effect.
        await new Promise((r) => setTimeout(r, 1000));
        const from = performance.now();
        const res = await send();
        const body = (await res.json()) as { passages?: number; error?: { message: string } };
        const to = performance.now();
        windows.push([from, to]);
        if (!res.ok) throw new Error(`${kind} got HTTP ${res.status}: ${JSON.stringify(body)}`);
        const sample: WriteSample = {
          kind,
          ms: to - from,
          passages: body.passages ?? 0,
          underAsk: ask !== null,
          askDuring: during(ask?.probes ?? [], from, to),
          healthDuring: during(health.probes, from, to),
        };
        log(
          `  ${kind} ${Math.round(sample.ms)} ms; during it /ask p99 ${sample.askDuring.p99.toFixed(1)} ms ` +
            `(n ${sample.askDuring.n}), /health max ${sample.healthDuring.max.toFixed(1)} ms (n ${sample.healthDuring.n})`,
        );
        samples.push(sample);
      };
      await write('add', () =>
        fetch(`${server.url}/documents`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ id, title: `Harbour works, round ${round}`, text: page(round) }),
        }),
      );
      await write('delete', () => fetch(`${server.url}/documents/${id}`, { method: 'DELETE', headers }));
    }
    const from = (windows.at(-1)?.[1] ?? performance.now()) + MERGE_AFTER_MS;
    for (;;) {
      if (!(await readManifest(indexCopy))?.changes) break;
      if (performance.now() - from > 300_000) throw new Error('the changes were not merged within 5 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const to = performance.now();
    merge = {
      ms: to - from,
      askDuring: during(ask?.probes ?? [], from, to),
      healthDuring: during(health.probes, from, to),
    };
    log(`  merge ${Math.round(merge.ms)} ms; during it /ask p99 ${merge.askDuring.p99.toFixed(1)} ms (n ${merge.askDuring.n})`);
  } finally {
    await ask?.stop();
    await health.stop();
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  // The first write also starts the ingest worker thread: rounds after it are the steady state.
  const steady = (kind: WriteSample['kind']) => {
    const of = samples.filter((s) => s.kind === kind);
    return of.length > 1 ? of.slice(1) : of;
  };
  const all = [...steady('add'), ...steady('delete')].filter((s) => s.underAsk);
  const underAsk = windows.filter((_, i) => samples[i]?.underAsk);
  const overlapping = (probes: Probe[]) =>
    stats(
      probes
        .filter((p) => underAsk.some(([from, to]) => p.end >= from && p.start <= to))
        .map((p) => p.end - p.start),
    );
  const alone = [...steady('add'), ...steady('delete')].filter((s) => !s.underAsk);
  // After the first write (which may wait for the writer's first read of the index), outside every write,
  // before the merge that follows the last one.
  const lastWrite = windows.at(-1)?.[1] ?? 0;
  const idle = (probes: Probe[]) =>
    stats(
      probes
        .filter((p) => p.start > askFrom && p.end < lastWrite && windows.every(([from, to]) => p.end < from || p.start > to))
        .map((p) => p.end - p.start),
    );
  return {
    scale,
    rounds,
    samples,
    addMs: median(steady('add').map((s) => s.ms)),
    deleteMs: median(steady('delete').map((s) => s.ms)),
    askP99: Math.max(...all.map((s) => s.askDuring.p99)),
    healthMax: Math.max(...all.map((s) => s.healthDuring.max)),
    healthAloneMax: Math.max(...alone.map((s) => s.healthDuring.max)),
    askDuring: overlapping(ask?.probes ?? []),
    healthDuring: overlapping(health.probes),
    merge: merge as WritesResult['merge'],
    inProcess,
    askIdle: idle(ask?.probes ?? []),
    healthIdle: idle(health.probes),
    failed: {
      ask: ask?.failures.length ?? 0,
      health: health.failures.length,
      reasons: [...new Set([...(ask?.failures ?? []), ...health.failures])],
    },
  };
}

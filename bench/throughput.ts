import autocannon from 'autocannon';
import type { AskInput } from '../server/qa/index.ts';
import type { BenchServer } from './server.ts';
import { median } from './stats.ts';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  /** Completed requests per second over the run. */
  rps: number;
  /** Median of the per-second request counts. */
  rpsP50: number;
  latencyP50: number;
  latencyP99: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  status5xx: number;
}

/**
 * `connections` clients posting /ask back to back for `seconds` (autocannon), cycling through `inputs` so
 * the server answers varied questions, not one cached path.
 */
export async function loadTest(
  url: string,
  inputs: AskInput[],
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const bodies = inputs.map((i) => JSON.stringify(i));
  let next = 0;
  const result = await autocannon({
    url: `${url}/ask`,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  return {
    connections,
    seconds,
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    rpsP50: result.requests.p50,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    status5xx: result['5xx'],
  };
}

export interface SoakResult extends LoadResult {
  /** Median RSS over the first and the last quarter of the soak, and the highest sample. */
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** (end − start) / start. */
  rssGrowth: number;
}

/**
 * A long load test with the server's RSS sampled every second. A leak grows RSS from the first quarter of the
 * run to the last; comparing quarter medians rather than two samples keeps the garbage collector's sawtooth
 * out of it. The server has already served load by then, so first-use allocations and warm caches don't count.
 */
export async function soak(
  server: BenchServer,
  inputs: AskInput[],
  connections: number,
  seconds: number,
): Promise<SoakResult> {
  const samples: number[] = [server.rssMb()];
  const sampler = setInterval(() => samples.push(server.rssMb()), 1000);
  try {
    const load = await loadTest(server.url, inputs, connections, seconds);
    samples.push(server.rssMb());
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const rssStartMb = median(samples.slice(0, quarter));
    const rssEndMb = median(samples.slice(-quarter));
    return {
      ...load,
      rssStartMb,
      rssEndMb,
      rssMaxMb: Math.max(...samples),
      rssGrowth: (rssEndMb - rssStartMb) / rssStartMb,
    };
  } finally {
    clearInterval(sampler);
  }
}

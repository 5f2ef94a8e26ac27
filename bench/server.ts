import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The question the cold-start probe asks: any answerable one, the point is the first full answer. */
const PROBE = JSON.stringify({ question: 'What did the president say about the tariff?' });

export interface BenchServer {
  url: string;
  pid: number;
  /** Spawn to the first 200 from POST /ask: process start, index load, listen, first answer. */
  coldStartMs: number;
  rssMb: () => number;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Resident set size of a process in MB, from /proc (Linux, like the machines this runs on). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? Number.NaN);
  return kb / 1024;
}

let built = false;
/** Bundles the server once per run, as `npm run serve` does before it starts (`server/build.mjs`). */
function buildServer(): void {
  if (built) return;
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  built = true;
}

/**
 * Starts the real server (the bundle of `server/main.ts`, as `npm run serve` does) on a loopback port for the index at
 * `indexDir` (with extra `env`), and returns once POST /ask has answered. The per-client rate limit is lifted: a benchmark is
 * one client asking as fast as it can.
 */
export async function startServer(
  indexDir: string,
  timeoutMs = 300_000,
  env: Record<string, string> = {},
): Promise<BenchServer> {
  buildServer();
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      INDEX_DIR: path.resolve(indexDir),
      HOST: '127.0.0.1',
      PORT: String(port),
      RATE_LIMIT_PER_MINUTE: '100000000',
      // As `npm run serve` runs it (README, Configuration).
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The pipes must be drained or a chatty server blocks; the tail is kept for error messages.
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer within ${timeoutMs} ms:\n${output}`);
    }
    const status = await fetch(`${url}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: PROBE,
    })
      .then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      })
      .catch(() => 0);
    if (status === 200) break;
    if (status !== 0 && status !== 503) throw new Error(`cold-start probe got HTTP ${status}:\n${output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const coldStartMs = performance.now() - t0;
  const pid = child.pid as number;
  return {
    url,
    pid,
    coldStartMs,
    rssMb: () => rssMb(pid),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

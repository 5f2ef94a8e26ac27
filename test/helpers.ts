import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, realpath, symlink } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Every child a test started that has not exited yet, kept on `globalThis` because vitest evaluates this
 * module afresh for each test file in a worker: one set, and one set of handlers, per process.
 */
const children: Set<ChildProcess> = ((globalThis as { footnoteTestChildren?: Set<ChildProcess> })
  .footnoteTestChildren ??= (() => {
  const set = new Set<ChildProcess>();
  const killAll = () => {
    for (const child of set) killGroup(child);
  };
  // Last resorts when a worker ends without running the file's hooks, so nothing of ours keeps listening:
  // its own exit, and the signals that end it without an exit event (vitest stops workers with SIGTERM,
  // Ctrl-C sends SIGINT), raised again once the children are gone so the worker still ends.
  process.once('exit', killAll);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
  return set;
})());

/**
 * SIGKILLs `child` and what it started (each child leads its own process group: `node --import tsx`
 * starts an esbuild service, which a kill of the node process alone would orphan).
 */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/** Kills every child still running: test/setup.ts does it after each test file, so a timed-out test leaves none. */
export function killChildren(): void {
  for (const child of children) killGroup(child);
  children.clear();
}

export interface Child {
  child: ChildProcess;
  /** stdout and stderr, interleaved as they arrived. */
  output: () => string;
  /** Resolves once the output after its first `from` characters matches `pattern`; rejects if the child ends first. */
  waitForOutput: (pattern: RegExp, from?: number) => Promise<void>;
  /** The exit code (null if killed by a signal), once the child exited and its output was all read. */
  closed: Promise<number | null>;
}

/** Runs `node --import tsx ...args` in its own process group, tracked so that it is killed with its test file. */
export function spawnNode(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let out = '';
  let ended = false;
  const waiters = new Set<{ pattern: RegExp; from: number; resolve: () => void; reject: (err: Error) => void }>();
  const settle = () => {
    for (const w of waiters) {
      if (w.pattern.test(out.slice(w.from))) {
        waiters.delete(w);
        w.resolve();
      } else if (ended) {
        waiters.delete(w);
        w.reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before printing ${w.pattern}:\n${out}`));
      }
    }
  };
  const append = (d: Buffer) => {
    out += d;
    settle();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // 'close', not 'exit': by then all of stdout and stderr has been read.
  const closed = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      ended = true;
      children.delete(child);
      // Whatever the child started and left behind goes with it.
      killGroup(child);
      settle();
      resolve(code);
    }),
  );
  return {
    child,
    output: () => out,
    closed,
    waitForOutput: (pattern, from = 0) =>
      new Promise((resolve, reject) => {
        waiters.add({ pattern, from, resolve, reject });
        settle();
      }),
  };
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningServer extends Child {
  url: string;
  /** Sends `signal` (the server's own shutdown) and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts the real server (`server/main.ts`, or `entry`: the bundle `npm run serve` runs) as a child process
 * and waits until `/health` says ready.
 */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 30_000,
  entry = 'server/main.ts',
): Promise<RunningServer> {
  const port = Number(env.PORT ?? (await freePort()));
  const server = spawnNode([entry], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const { child } = server;
  let exited = false;
  void server.closed.then(() => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  // Polls a state, with a deadline for a server that hangs: with LOG_LEVEL=warn there is no line to await.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`server exited with ${child.exitCode}:\n${server.output()}`);
    const ok = await fetch(`${url}/health`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() >= deadline) {
      killGroup(child);
      throw new Error(`server did not become ready in ${timeoutMs} ms:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ...server,
    url,
    stop: async (signal = 'SIGTERM') => {
      if (!exited) child.kill(signal);
      return server.closed;
    },
  };
}

/** Runs a CLI to completion (its process group killed after `timeoutMs`, if given) and returns its exit code and output. */
export async function run(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child, closed } = spawnNode(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const timer = timeoutMs ? setTimeout(() => killGroup(child), timeoutMs) : undefined;
  const code = await closed;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface Workspace {
  root: string;
  /** A copy of seeds/, named `seeds` like the folder the index was built from. */
  corpusDir: string;
  /** A copy of the seeds index, published as a link to a generation like `npm run ingest` does. */
  indexDir: string;
}

/** A private corpus and index to change freely: the seeds and their already-built index, copied. */
export async function seedsWorkspace(seedsIndexDir: string): Promise<Workspace> {
  const root = await mkdtemp(path.join(tmpdir(), 'footnote-ws-'));
  const corpusDir = path.join(root, 'seeds');
  const indexDir = path.join(root, 'index');
  await cp('seeds', corpusDir, { recursive: true });
  const source = await realpath(seedsIndexDir);
  const generation = path.join(`${indexDir}.generations`, path.basename(source));
  await mkdir(path.dirname(generation), { recursive: true });
  await cp(source, generation, { recursive: true });
  await symlink(path.relative(root, generation), indexDir);
  return { root, corpusDir, indexDir };
}

export interface RawResponse {
  /** Everything the server sent before closing the connection. */
  text: string;
  /** The final response's status (an interim `100 Continue` skipped). */
  status: number | null;
}

/**
 * A hand-driven HTTP/1.1 connection, for what fetch can't do: send a request a byte at a time, send bytes
 * no client library would, or never read the response. `received` resolves once what the server sent so
 * far matches `pattern` (e.g. the `100 Continue` that says the request reached the server).
 */
export function rawConnection(
  url: string,
): Promise<{ socket: Socket; closed: Promise<RawResponse>; received: (pattern: RegExp) => Promise<void> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
      });
      const closed = new Promise<RawResponse>((done) =>
        socket.once('close', () => {
          const final = text.replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n\r\n)+/, '');
          done({ text: final, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(final)?.[1] ?? Number.NaN) || null });
        }),
      );
      const received = (pattern: RegExp) =>
        new Promise<void>((ok, fail) => {
          const check = () => {
            if (!pattern.test(text)) return;
            socket.off('data', check);
            ok();
          };
          socket.on('data', check);
          void closed.then(() => fail(new Error(`connection closed before ${pattern}: ${text}`)));
          check();
        });
      socket.on('error', () => {});
      resolve({ socket, closed, received });
    });
    socket.once('error', reject);
  });
}

/** Resolves once `check` holds, trying again whenever the last try has finished. */
export async function until<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, realpath, symlink } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts the real server (`server/main.ts`) as a child process and waits until `/health` says ready. */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningServer> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    const ok = await fetch(`${url}/health`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`server did not become ready:\n${out}`);
  }
  return {
    url,
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a CLI to completion (killed after `timeoutMs`, if given) and returns its exit code and output. */
export function run(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (timeoutMs) setTimeout(() => child.kill('SIGKILL'), timeoutMs).unref();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
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
  status: number | null;
}

/**
 * A hand-driven HTTP/1.1 connection, for what fetch can't do: send a request a byte at a time, send bytes
 * no client library would, or never read the response.
 */
export function rawConnection(url: string): Promise<{ socket: Socket; closed: Promise<RawResponse> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
      });
      const closed = new Promise<RawResponse>((done) =>
        socket.once('close', () =>
          done({ text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? Number.NaN) || null }),
        ),
      );
      socket.on('error', () => {});
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

import { Worker } from 'node:worker_threads';

export interface FileDigest {
  bytes: number;
  sha256: string;
}

/**
 * Plain JavaScript (a worker needs no TypeScript loader for it): streams each file through sha256 and
 * posts its digest as soon as it is known.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const chunk = Buffer.allocUnsafe(1 << 22);
for (const file of workerData) {
  try {
    const hash = createHash('sha256');
    const fd = openSync(file, 'r');
    let bytes = 0;
    try {
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; bytes += n) hash.update(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    parentPort.postMessage({ file, bytes, sha256: hash.digest('hex') });
  } catch (err) {
    parentPort.postMessage({ file, error: String(err) });
  }
}
`;

/**
 * The size and sha256 of each file, computed in a thread of its own: the index's checksums are checked
 * while this thread parses, and files only checked (hnsw.bin, which hnswlib reads itself) are never read
 * into this thread's memory. A file that cannot be read rejects its promise.
 */
export function digestFiles(files: string[]): Map<string, Promise<FileDigest>> {
  const waiting = new Map<string, { resolve: (d: FileDigest) => void; reject: (e: Error) => void }>();
  const out = new Map<string, Promise<FileDigest>>();
  for (const file of new Set(files)) {
    const promise = new Promise<FileDigest>((resolve, reject) => waiting.set(file, { resolve, reject }));
    promise.catch(() => undefined);
    out.set(file, promise);
  }
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: [...waiting.keys()] });
  worker.on('message', (m: { file: string; bytes: number; sha256: string } | { file: string; error: string }) => {
    const w = waiting.get(m.file);
    waiting.delete(m.file);
    if ('error' in m) w?.reject(new Error(m.error));
    else w?.resolve({ bytes: m.bytes, sha256: m.sha256 });
  });
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('the checksum thread exited before hashing every file')));
  return out;
}

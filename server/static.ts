import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The web UI is a handful of small files, so they are read into memory once and served by exact path.
 * Hand-written rather than `serveStatic` because no request path ever reaches the file system: path
 * traversal (`/..%2f..%2fetc/passwd` and its encodings) is impossible by construction.
 */
export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const relPath = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(relPath);
      const type = TYPES[path.extname(entry.name)];
      // Tests and sources of the UI live beside it but are not served.
      if (!entry.isFile() || !type || /\.test\.|\.ts$/.test(entry.name)) continue;
      const body = new Uint8Array(readFileSync(path.join(dir, relPath)));
      files.set(`/${relPath}`, {
        body,
        type,
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      });
    }
  };
  walk('');
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}

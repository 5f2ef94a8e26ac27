import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The web UI is a handful of small files, so they are read into memory once and served by exact path.
 * Hand-written rather than `serveStatic` because no request path ever reaches the file system: path
 * traversal (`/..%2f..%2fetc/passwd` and its encodings) is impossible by construction.
 *
 * Caching: every file's URL in the pages and in module imports gets `?v=<version>`, the hash of all the
 * UI's files, so a browser may keep them for a year (`immutable`): any change to any file changes every
 * URL. Pages themselves, and files fetched without the current version, are revalidated (ETag).
 */
export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** The UI's version: `?v=<version>` URLs of this file may be cached for good. */
  version: string;
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

/** `src="app.js"`, `href="styles.css"`: relative references to the UI's own scripts and styles. */
const HTML_ASSET = /\b(src|href)="((?:\.\/)?[\w./-]+\.(?:js|css))"/g;
/** `import … from './x.js'` and `import './x.js'` (not `import('…')`, which also appears in JSDoc types). */
const JS_IMPORT = /(\bfrom\s*|\bimport\s+)(['"])(\.\.?\/[\w./-]+\.js)\2/g;

/** Adds `?v=version` to the UI's references to its own files. */
export function versionReferences(text: string, kind: 'html' | 'js', version: string): string {
  if (kind === 'html') return text.replace(HTML_ASSET, (_m, attr, url) => `${attr}="${url}?v=${version}"`);
  return text.replace(JS_IMPORT, (_m, head, q, url) => `${head}${q}${url}?v=${version}${q}`);
}

export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const raw = new Map<string, { body: Buffer; type: string }>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const relPath = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(relPath);
      const type = TYPES[path.extname(entry.name)];
      // Tests and sources of the UI live beside it but are not served.
      if (!entry.isFile() || !type || /\.test\.|\.ts$/.test(entry.name)) continue;
      raw.set(`/${relPath}`, { body: readFileSync(path.join(dir, relPath)), type });
    }
  };
  walk('');
  const hash = createHash('sha256');
  for (const route of [...raw.keys()].sort()) hash.update(route).update('\0').update(raw.get(route)!.body).update('\0');
  const version = hash.digest('base64url').slice(0, 12);

  const files = new Map<string, StaticFile>();
  for (const [route, { body, type }] of raw) {
    const kind = route.endsWith('.html') ? 'html' : route.endsWith('.js') ? 'js' : null;
    const served = kind ? Buffer.from(versionReferences(body.toString('utf8'), kind, version)) : body;
    files.set(route, { body: new Uint8Array(served), type, version });
  }
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  for (const [route, file] of vendorFiles()) files.set(route, file);
  return files;
}

/**
 * PDF.js for the page view of PDF sources, served from Footnote's own node_modules (no CDN) at these exact
 * paths; the page view imports them only when a PDF page is opened.
 */
const VENDOR: Record<string, string> = {
  '/vendor/pdfjs/pdf.min.mjs': 'build/pdf.min.mjs',
  '/vendor/pdfjs/pdf.worker.min.mjs': 'build/pdf.worker.min.mjs',
};

function vendorFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let root: string;
  try {
    root = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  } catch {
    return files;
  }
  const version = String((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version);
  for (const [route, rel] of Object.entries(VENDOR)) {
    const file = path.join(root, rel);
    if (!existsSync(file)) continue;
    files.set(route, { body: new Uint8Array(readFileSync(file)), type: 'text/javascript; charset=utf-8', version });
  }
  return files;
}

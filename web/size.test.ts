import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** The chat page's own JS and CSS: what index.html loads, and every module those import. */
function pageAssets(page: string): string[] {
  const html = readFileSync(path.join('web', page), 'utf8');
  const found = new Set<string>();
  const queue = [...html.matchAll(/\b(?:src|href)="([\w./-]+\.(?:js|css))"/g)].map((m) => m[1] as string);
  while (queue.length > 0) {
    const file = path.posix.normalize(queue.shift() as string);
    if (found.has(file)) continue;
    found.add(file);
    if (!file.endsWith('.js')) continue;
    const source = readFileSync(path.join('web', file), 'utf8');
    for (const m of source.matchAll(/\b(?:from\s*|import\s+)['"](\.\.?\/[\w./-]+\.js)['"]/g)) {
      queue.push(path.posix.join(path.posix.dirname(file), m[1] as string));
    }
  }
  return [...found].sort();
}

describe('page weight', () => {
  it("keeps the chat page's own JS + CSS under 50 KB gzipped", () => {
    const files = pageAssets('index.html');
    expect(files).toEqual(expect.arrayContaining(['app.js', 'styles.css', 'api.js', 'store.js', 'actions.js']));
    const gzipped = files.map((f) => gzipSync(readFileSync(path.join('web', f)), { level: 9 }).length);
    const total = gzipped.reduce((a, b) => a + b, 0);
    console.log(`chat page: ${files.length} files, ${(total / 1024).toFixed(1)} KB gzipped`);
    expect(total).toBeLessThan(50 * 1024);
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Source paths are relative to the corpus folder's parent (the repo root): try the cwd, then the repo root. */
export async function readSourceFile(source: string, repoRoot: string): Promise<string> {
  const candidates = path.isAbsolute(source)
    ? [source]
    : [path.resolve(source), path.resolve(repoRoot, source)];
  for (const candidate of candidates) {
    try {
      return await readFile(candidate, 'utf8');
    } catch {
      // try the next location
    }
  }
  throw new Error(`cannot read source ${source}`);
}

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadFile } from '../ingest/documents.ts';

/**
 * The text of an evidence file as Footnote indexes it — HTML converted to text, PDF and Word extracted — so
 * a quote copied from what a reader sees is found where citations point. A relative path is tried against
 * the folder `npm run` was started in (INIT_CWD: npm itself runs scripts from the repo root), the working
 * directory, the documents folder being evaluated (`docsDir`), then the repo root.
 */
export async function readSourceFile(source: string, repoRoot: string, docsDir?: string): Promise<string> {
  const bases = [process.env.INIT_CWD, process.cwd(), docsDir, repoRoot].filter((b): b is string => Boolean(b));
  const candidates = path.isAbsolute(source) ? [source] : [...new Set(bases.map((b) => path.resolve(b, source)))];
  for (const candidate of candidates) {
    if (!(await stat(candidate).catch(() => null))?.isFile()) continue;
    const doc = await loadFile(candidate, source, path.basename(candidate), { maxBytes: Number.POSITIVE_INFINITY });
    if ('reason' in doc) throw new Error(`cannot read source ${source}: ${doc.reason}`);
    return doc.text;
  }
  throw new Error(`cannot read source ${source}`);
}

import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root: the nearest folder above this module with a package.json. Found, not written as
 * "../..", so the same code works from its source file and from the server bundle in `dist/server/`.
 */
export const REPO_ROOT = (() => {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
})();

/** The repository's `models/` folder: transformers.js' `env.localModelPath` for local model ids. */
export const MODELS_DIR = join(REPO_ROOT, 'models') + sep;
export const DEFAULT_MODEL_ID = 'footnote/glove-sif-100d';
export const DEFAULT_MODEL_DIR = join(MODELS_DIR, DEFAULT_MODEL_ID);
/** What `npm run build:model` writes beside the model files: its recipe and the files' hashes. */
export const MODEL_STAMP_FILE = 'footnote-build.json';
export const BUILD_MODEL_COMMAND = 'node --import tsx ingest/model/build-model.ts';

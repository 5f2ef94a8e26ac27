import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `models/` folder: transformers.js' `env.localModelPath` for local model ids. */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
export const DEFAULT_MODEL_ID = 'footnote/glove-sif-100d';
export const DEFAULT_MODEL_DIR = join(MODELS_DIR, DEFAULT_MODEL_ID);
export const BUILD_MODEL_COMMAND = 'node --import tsx ingest/model/build-model.ts';

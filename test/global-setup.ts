import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createEmbedder } from '../ingest/embedder.ts';
import { buildModel } from '../ingest/model/build-model.ts';
import { DEFAULT_MODEL_ID, MODELS_DIR } from '../ingest/model/paths.ts';
import { ingest } from '../ingest/pipeline.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An index of the real seeds, built once for the whole run with the real model. */
    seedsIndexDir: string;
  }
}

/** The real setup step of the README (model build, skipped when current) and a fresh seeds index. */
export default async function setup(project: TestProject): Promise<void> {
  await buildModel();
  const root = await mkdtemp(path.join(tmpdir(), 'footnote-test-'));
  const indexDir = path.join(root, 'index');
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, modelsDir: MODELS_DIR });
  await ingest({ corpusDir: 'seeds', indexDir, embedder, maxBytes: 5 * 1024 * 1024 });
  project.provide('seedsIndexDir', indexDir);
}

import { createRequire } from 'node:module';
import type winkModel from 'wink-eng-lite-web-model';

/**
 * wink-nlp's English model, required on first use: evaluating it is ~0.16 s, and a server reads it while
 * its index is being checksummed (`loadEngine`) instead of among its imports, which are its cold start's path.
 */
let model: typeof winkModel | null = null;
export const englishModel = (): typeof winkModel =>
  (model ??= createRequire(import.meta.url)('wink-eng-lite-web-model') as typeof winkModel);

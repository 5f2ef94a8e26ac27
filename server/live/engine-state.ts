import { FootnoteError } from '../errors.ts';
import type { Engine } from '../qa/index.ts';

/** What the server knows about the index: the engine when loaded, else why not. */
export interface EngineState {
  engine: Engine | null;
  status: 'ok' | 'loading' | 'error';
  message?: string;
  /** The outcome of the last reload: a failed one leaves the previous index serving. */
  lastReload?: { ok: boolean; at: string; error?: string };
}

/** The engine that answers now, or 503 not_ready saying why there is none. */
export function readyEngine(state: EngineState): Engine {
  if (!state.engine) throw new FootnoteError('not_ready', state.message ?? 'the index is not loaded yet');
  return state.engine;
}

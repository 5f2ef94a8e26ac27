import { watch } from 'node:fs';

/**
 * Calls `run` when files of `dir` change: debounced (an editor's save or a copy of many files is several
 * events), and never twice at once (a change during a run schedules one more run after it). Dot files
 * are ignored: they are temporary files (the documents API's, editors') that ingestion skips anyway.
 */
export function watchFolder(opts: { dir: string; run: () => Promise<void>; debounceMs?: number }): {
  close: () => void;
} {
  const debounceMs = opts.debounceMs ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  const fire = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await opts.run();
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const watcher = watch(opts.dir, (_, file) => {
    if (file?.startsWith('.')) return;
    schedule();
  });
  return {
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

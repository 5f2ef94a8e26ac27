import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    // Kills the child processes a test file left running (e.g. after a timeout).
    setupFiles: ['./test/setup.ts'],
    include: ['{ingest,store,server,web,evals,bench,test}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: test files that spawn servers and browsers run two at a time at most.
    maxWorkers: 2,
  },
});

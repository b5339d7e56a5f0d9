import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files start real servers on port 0 and use their own databases, so they can run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});

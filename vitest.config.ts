import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // two cores: files run in parallel in forks, each with its own temporary data folder
    pool: 'forks',
    // parallel test files share the cores; one inference thread per model avoids ggml barrier stalls (local.ts)
    env: { SQUILL_THREADS: '1' },
  },
});

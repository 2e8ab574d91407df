import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'compat-tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Compat suites start servers and JVMs; running files in parallel on 2 cores only makes them flaky.
    fileParallelism: false,
  },
});

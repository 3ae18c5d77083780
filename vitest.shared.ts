import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: each package writes a JSON report next to it so that the root test
 * command can print one "N passed, N failed" line for the whole repository.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    setupFiles: [new URL('./vitest.setup.ts', import.meta.url).pathname],
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});

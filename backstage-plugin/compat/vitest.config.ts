import { defineConfig } from 'vitest/config';

// The compatibility test: a real tech-health service read by the stock tech-radar parser and
// Tech Insights client.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['compat/**/*.compat.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});

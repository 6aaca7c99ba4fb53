import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/setupTests.ts'],
    globals: false,
    // material-ui-popup-state ships untranspiled ESM that Node cannot load as is.
    server: { deps: { inline: [/material-ui-popup-state/] } },
    testTimeout: 20000,
  },
});

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
    // jsdom cannot parse the modern CSS that @backstage/ui injects; the noise hides real logs.
    onConsoleLog: log => !log.includes('Could not parse CSS stylesheet'),
  },
});

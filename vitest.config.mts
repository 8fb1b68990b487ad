import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// `electron` in plain Node would try to download its binary: tests get a stub that records calls.
const alias = { electron: resolve('test/stubs/electron.ts') };

// The Electron project joins the run where Electron has been installed with its binary (or pointed at one);
// its test then fails loudly if the binary cannot start.
const hasElectron = existsSync('node_modules/electron/path.txt') || (process.env.ELECTRON_OVERRIDE_DIST_PATH ?? '') !== '';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/renderer/**/*.test.ts'], environment: 'node', testTimeout: 20_000 },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      // Runs only where an Electron binary exists; everywhere else the project is not part of the run.
      ...(hasElectron
        ? [{ test: { name: 'electron', include: ['test/electron/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } }]
        : []),
    ],
  },
});

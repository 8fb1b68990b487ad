import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          // Electron entry: the shell plus the core.
          index: resolve('main/index.ts'),
          // Plain-Node entry for `studio` (CLI, web mode). Never imports electron.
          cli: resolve('main/cli/main.ts'),
          // The MuJoCo sim's worker thread, found at run time next to the bundle (main/sim/workerClient.ts).
          simWorker: resolve('main/sim/worker.ts'),
          // The sim's camera renderer, started by the sim worker (main/sim/render/renderClient.ts).
          renderWorker: resolve('main/sim/render/renderWorker.ts'),
          // The control loop's thread, with the arm, gripper and teleop devices (main/control/controlClient.ts).
          controlWorker: resolve('main/control/controlWorker.ts'),
          // The recording store writer's thread (main/recording/writerWorker.ts).
          recordingWriter: resolve('main/recording/writerWorker.ts'),
          // One dataset export per thread (main/export/exportWorker.ts).
          exportWorker: resolve('main/export/exportWorker.ts'),
          // One dataset import per thread, from the Episodes view (main/import/importWorker.ts).
          importWorker: resolve('main/import/importWorker.ts'),
          // The world model's inference: one opened pack per thread (main/imagination/worker/imaginationClient.ts).
          imaginationWorker: resolve('main/imagination/worker/imaginationWorker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can only require('electron'): bundle everything else into one CJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('renderer'),
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});

import { writeSync } from 'node:fs';
import { runImport } from '../../main/import/runImport';

/**
 * An import in a process of its own that a test kills mid-way: after the first episode is written it
 * prints `staged` and blocks for good (between two batches, as a kill would most often find it).
 *   node --require ./main/workers/sourceLoader.cjs test/support/importChild.ts DATA_DIR DATASET
 */
const [dataDir, source] = process.argv.slice(2);
if (dataDir === undefined || source === undefined) throw new Error('usage: importChild.ts DATA_DIR DATASET');
void runImport(
  { format: 'lerobot', dataDir, source },
  {
    onProgress: (p) => {
      if (p.phase !== 'episodes' || p.done_episodes < 1) return;
      writeSync(1, 'staged\n'); // synchronous: the line is out before the thread blocks
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    },
  },
);

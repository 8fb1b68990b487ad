import { spawnSync } from 'node:child_process';

/**
 * Independent readers for the export tests: Python with pyarrow (parquet), h5py (HDF5) and numpy.
 * A missing module fails the test with the install line rather than skipping silently.
 */

const PYTHON = process.env.STUDIO_PYTHON ?? 'python3';

export function requirePython(modules: string[]): void {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `the export tests read datasets back with Python (${modules.join(', ')}), which ${probe.error !== undefined ? `cannot run (${probe.error.message})` : `is missing: ${probe.stderr.trim().split('\n').pop()}`}.\n` +
        'Install the readers with: python3 -m pip install pyarrow h5py numpy pandas',
    );
  }
}

/** Runs a Python script (argv[1..] = args) that prints one JSON document. */
export function runPython<T>(script: string, args: string[] = []): T {
  const result = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

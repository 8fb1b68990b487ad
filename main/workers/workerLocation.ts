import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface WorkerLocation {
  path: string;
  execArgv: string[];
}

/**
 * Where a worker thread's entry is: the built `out/main/<builtName>` (the caller may itself sit in
 * `out/main/chunks/`), or, when running from source (vitest, tsx), the TypeScript file itself loaded
 * through tsx (sourceLoader.cjs). Node 20 does not apply `--import` loader hooks to workers; tsx's require
 * hook works.
 */
export function workerLocation(callerDir: string, builtName: string, sourceName: string): WorkerLocation | undefined {
  const bundleDir = basename(callerDir) === 'chunks' ? join(callerDir, '..') : callerDir;
  const built = join(bundleDir, builtName);
  if (existsSync(built)) return { path: built, execArgv: [] };
  const source = join(callerDir, sourceName);
  // tsx's hook plus Vite's `?raw` imports (the deoxys .proto files, the sim scene).
  if (existsSync(source)) return { path: source, execArgv: ['--require', join(__dirname, 'sourceLoader.cjs')] };
  return undefined;
}

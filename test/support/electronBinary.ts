import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The Electron binary, if this machine has one: `ELECTRON_OVERRIDE_DIST_PATH`, or what the electron
 * package downloaded into `node_modules/electron/dist`. Undefined where Electron cannot be run.
 */
export function electronBinaryPath(): string | undefined {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override !== undefined && override !== '') {
    const candidate = join(override, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return existsSync(candidate) ? candidate : undefined;
  }
  const pathFile = resolve('node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return undefined;
  const candidate = resolve('node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(candidate) ? candidate : undefined;
}

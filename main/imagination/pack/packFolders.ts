import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The reference pack the studio ships (models/packs/), for its simulated rig (rigs/sim-gwm.json). */
export const REFERENCE_PACK = 'gwm-lite-sim-franka';

/** The repository's models/packs/, found upward from this module (source: main/imagination/pack; built: out/main[/chunks]). */
export function shippedPacksFolder(from: string = __dirname): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'models', 'packs');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Where packs are looked for: the shipped ones, then the user's own under `<data dir>/models`. */
export function packFolders(dataDir: string): string[] {
  const shipped = shippedPacksFolder();
  return [...(shipped !== undefined ? [shipped] : []), join(dataDir, 'models')];
}

/** `--pack` if given, else the shipped reference pack. */
export function resolvePackDir(pack: string | undefined): string {
  if (pack !== undefined) return pack;
  const shipped = shippedPacksFolder();
  return join(shipped ?? join('models', 'packs'), REFERENCE_PACK);
}

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StudioError } from '../../../shared/api/errors';
import { MANIFEST_FILE, parseManifest, type GraphName, type GwmManifest } from './manifest';

/** A pack on disk, checked: its manifest parsed and every file's bytes equal to the hash it declares. */
export interface PackOnDisk {
  dir: string;
  manifest: GwmManifest;
  /** SHA-256 of the manifest file: names this exact pack in stored foresight runs. */
  manifest_sha256: string;
  /** Graph name → absolute path of its ONNX file. */
  graphs: Partial<Record<GraphName, string>>;
}

export interface PackListing {
  dir: string;
  model_name: string;
  model_version: string;
  /** Why the folder holds no usable pack (its manifest did not parse), or null. */
  problem: string | null;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Reads and checks a pack folder (hashes included); one clear error for the first thing wrong. */
export function readPack(dir: string): PackOnDisk {
  const root = resolve(dir);
  const manifestPath = join(root, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new StudioError({
      code: 'not_found',
      message: `${root} is not a world-model pack: it has no ${MANIFEST_FILE}`,
      fix: 'Pass a pack folder (e.g. models/packs/gwm-lite-sim-franka), or make one with `python -m gwmlite all` (models/README).',
    });
  }
  const manifestBytes = readFileSync(manifestPath);
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch (error) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `${manifestPath} is not valid JSON: ${(error as Error).message}`,
      fix: 'Re-export the pack; a pack is written atomically, so a broken manifest was edited or copied partially.',
    });
  }
  const manifest = parseManifest(json, manifestPath);
  for (const [file, expected] of Object.entries(manifest.files)) {
    const path = join(root, file);
    if (!existsSync(path))
      throw new StudioError({
        code: 'failed_precondition',
        message: `the pack ${root} lists ${file}, which is missing`,
        fix: 'Copy the whole pack folder, or re-export it.',
      });
    const found = sha256(readFileSync(path));
    if (found !== expected) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `${file} in ${root} is corrupt or was changed: its SHA-256 is ${found.slice(0, 12)}…, the manifest says ${expected.slice(0, 12)}…`,
        fix: 'Copy the pack again or re-export it with `python -m gwmlite export`; the studio runs only the graphs the manifest names.',
      });
    }
  }
  const graphs: Partial<Record<GraphName, string>> = {};
  for (const [graph, decl] of Object.entries(manifest.io) as [GraphName, { file: string }][]) graphs[graph] = join(root, decl.file);
  return { dir: root, manifest, manifest_sha256: sha256(manifestBytes), graphs };
}

/**
 * Packs in the given folders: each folder that holds a manifest is a pack, and so is each of its direct
 * subfolders that does (models/packs/<name>/). Broken manifests are listed with their problem, not hidden.
 */
export function findPacks(folders: readonly string[]): PackListing[] {
  const found: PackListing[] = [];
  const seen = new Set<string>();
  const consider = (dir: string) => {
    const root = resolve(dir);
    if (seen.has(root) || !existsSync(join(root, MANIFEST_FILE))) return;
    seen.add(root);
    try {
      const manifest = parseManifest(JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')), join(root, MANIFEST_FILE));
      found.push({ dir: root, model_name: manifest.model_name, model_version: manifest.model_version, problem: null });
    } catch (error) {
      found.push({ dir: root, model_name: '', model_version: '', problem: (error as Error).message });
    }
  };
  for (const folder of folders) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
    consider(folder);
    for (const entry of readdirSync(folder, { withFileTypes: true })) if (entry.isDirectory()) consider(join(folder, entry.name));
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

#!/usr/bin/env node
// Builds with electron-vite when out/ is missing or older than any source, so `npm run web` and
// `npm run studio` always run what is in the tree. Fast when nothing changed (a stat walk).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sources = ['main', 'preload', 'renderer', 'shared', 'rigs', 'package.json', 'electron.vite.config.ts'];
const outputs = ['out/main/cli.js', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const missing = outputs.filter((path) => !existsSync(path));
const builtAt = missing.length > 0 ? 0 : Math.min(...outputs.map((path) => statSync(path).mtimeMs));
const changedAt = Math.max(...sources.filter((path) => existsSync(path)).map(newestMtime));

if (missing.length > 0 || changedAt > builtAt) {
  process.stderr.write(missing.length > 0 ? 'Building the studio (first run)…\n' : 'Sources changed since the last build; rebuilding…\n');
  const result = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

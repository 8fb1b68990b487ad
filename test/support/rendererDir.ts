import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A tiny stand-in for out/renderer, for server tests that are about HTTP rather than the UI. */
export function writeRendererDir(dir: string): string {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>studio</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("app")');
  return dir;
}

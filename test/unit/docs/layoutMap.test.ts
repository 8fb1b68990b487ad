import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(__dirname, '../../..');

/** The README's layout map (the fenced block under "## Layout"). */
function layoutMap(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Layout'));
  const start = section.indexOf('```text');
  return section.slice(start, section.indexOf('```', start + 7));
}

const dirs = (path: string) =>
  readdirSync(join(root, path), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

describe("the README's layout map", () => {
  test('names every folder of main/ and every top-level source folder', () => {
    const map = layoutMap();
    for (const name of dirs('main'))
      expect(map, `main/${name}/ is missing from the README layout map`).toMatch(new RegExp(`(^|\\s)${name}/`, 'm'));
    for (const name of ['main', 'preload', 'renderer', 'shared', 'rigs', 'models', 'test', 'bench', 'docs'])
      expect(map).toMatch(new RegExp(`(^|\\s)${name}/`, 'm'));
    for (const name of ['base', 'robot']) expect(map).toContain(`${name}/`);
  });
});

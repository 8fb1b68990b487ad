import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { DEFAULT_SCENE_XML } from '../../../main/sim/sceneXml';
import { useTempDirs } from '../../support/tempDir';

const tempDir = useTempDirs();

async function studio(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('studio sim expert', () => {
  it('prints one JSON object per episode with --json', async () => {
    const { code, out } = await studio(['sim', 'expert', '--episodes', '2', '--seed', '3', '--json', '--explore-prob', '0']);
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { episode: number; success: boolean; steps: number });
    expect(lines.map((l) => l.episode)).toEqual([0, 1]);
    for (const line of lines) {
      expect(typeof line.success).toBe('boolean');
      expect(line.steps).toBeGreaterThan(50);
    }
  });

  it('names the file, element and line of a broken --model', async () => {
    const file = join(tempDir(), 'bad.xml');
    writeFileSync(file, DEFAULT_SCENE_XML.replace('<geom name="table"', '<geom name="table" wrong="1"'));
    const { code, err } = await studio(['sim', 'expert', '--episodes', '1', '--model', file]);
    expect(code).toBe(1);
    expect(err).toContain(`${file}: XML Error`);
    expect(err).toMatch(/Element 'geom', line \d+/);
  });

  it('rejects bad numbers as usage errors', async () => {
    expect((await studio(['sim', 'expert', '--explore-prob', '2'])).code).toBe(2);
    expect((await studio(['sim', 'nope'])).code).toBe(2);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { useTempDirs } from '../support/tempDir';

const STUDIO = resolve('bin/studio.js');
const PYTHON = resolve('models/.venv/bin/python');

function run(cmd: string, args: string[], cwd?: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

interface IoSpec {
  file: string;
  inputs: { name: string; shape: (string | number)[] }[];
  outputs: { name: string }[];
}

/**
 * The studio's GWM export is the trainer's input and the pack is the studio's input: record on the
 * world-model rig, export, train every stage of the tiny config, and open the pack's graphs with
 * onnxruntime-node — the runtime the studio uses — against the manifest's I/O declaration.
 */
describe('world-model trainer on a studio export', () => {
  const tempDir = useTempDirs();

  test('record → export gwm → gwmlite all (tiny) → a pack onnxruntime-node loads', async () => {
    expect(existsSync(PYTHON), 'models/.venv is missing: run `npm run test:deps` (it runs models/setup.sh)').toBe(true);
    const dataDir = tempDir();
    const rec = run(process.execPath, [
      STUDIO,
      'record',
      '--sim',
      '--expert',
      '--episodes',
      '4',
      '--seed',
      '11',
      '--rig',
      'rigs/sim-gwm.json',
      '--image-size',
      '32x32',
      '--data-dir',
      dataDir,
    ]);
    expect(rec.status, rec.out).toBe(0);
    const out = join(tempDir(), 'gwm');
    const exp = run(process.execPath, [
      STUDIO,
      'export',
      '--format',
      'gwm',
      '--out',
      out,
      '--valid-fraction',
      '0.25',
      '--test-fraction',
      '0.25',
      '--data-dir',
      dataDir,
    ]);
    expect(exp.status, exp.out).toBe(0);

    const runDir = join(tempDir(), 'run');
    const train = run(
      PYTHON,
      ['-m', 'gwmlite', 'all', '--config', 'configs/tiny.json', '--data', out, '--run-dir', runDir, '--no-progress'],
      resolve('models'),
    );
    expect(train.status, train.out).toBe(0);

    const pack = join(runDir, 'pack');
    const manifest = JSON.parse(readFileSync(join(pack, 'gwm_manifest.json'), 'utf8')) as {
      contract_version: string;
      io: Record<string, IoSpec>;
      training_data: { version: number; episodes: number };
      lifting: { cameras: string[] };
      evaluation: { split: string };
    };
    expect(manifest.contract_version).toBe('gwm-contract/1');
    expect(manifest.training_data.version).toBe(2);
    expect(manifest.lifting.cameras).toEqual(['front', 'side']); // the novel camera is evaluation-only
    expect(manifest.evaluation.split).toBe('test');
    expect(Object.keys(manifest.io).sort()).toEqual(['decoder', 'denoiser', 'encoder', 'policy', 'success']);
    for (const [graph, spec] of Object.entries(manifest.io)) {
      const session = await ort.InferenceSession.create(join(pack, spec.file));
      expect(session.inputNames, graph).toEqual(spec.inputs.map((i) => i.name));
      expect(session.outputNames, graph).toEqual(spec.outputs.map((o) => o.name));
      await session.release();
    }
  }, 600_000);
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { rigConfigSchema } from '../../../shared/rig/rigConfig';
import { DEFAULT_RIG_SOURCE, checkRigText, loadRigFile, resolveRig } from '../../../main/config/loadRig';
import simRig from '../../../rigs/sim.json';
import { useTempDirs } from '../../support/tempDir';

const validText = JSON.stringify(simRig, null, 2);

function withChange(change: (rig: Record<string, any>) => void): string {
  const rig = JSON.parse(validText) as Record<string, any>;
  change(rig);
  return JSON.stringify(rig, null, 2);
}

function caught(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (error) {
    return error as StudioError;
  }
  throw new Error('expected an error');
}

describe('rig config', () => {
  const tempDir = useTempDirs();

  test('the world-model data rig loads and is what gwm-lite §6.1 asks for: 10 Hz, three fixed RGB-D cameras at 128×128', () => {
    const rig = loadRigFile(join(__dirname, '../../../rigs/sim-gwm.json')).config;
    expect(rig.arm).toMatchObject({ type: 'sim-arm', control_hz: 10 });
    expect(
      rig.cameras.map((camera) => [
        camera.name,
        camera.width_px,
        camera.height_px,
        camera.fps_hz,
        camera.depth,
        camera.world_from_camera !== undefined,
      ]),
    ).toEqual([
      ['front', 128, 128, 10, true, true],
      ['side', 128, 128, 10, true, true],
      ['novel', 128, 128, 10, true, true],
    ]);
    // The novel view is held out for evaluation; the others are for training.
    expect(rig.cameras.map((camera) => camera.role ?? 'train')).toEqual(['train', 'train', 'eval']);
  });

  test('a camera role is train or eval, and anything else is refused with its path', () => {
    const { issues } = checkRigText(
      withChange((rig) => {
        rig.cameras[0].role = 'test';
      }),
    );
    expect(issues.map((issue) => issue.path)).toContain('cameras[0].role');
  });

  test('the shipped simulated rig is valid and uses the sim devices', () => {
    const rig = rigConfigSchema.parse(simRig);
    expect(rig.arm.type).toBe('sim-arm');
    expect(rig.gripper?.type).toBe('sim-gripper');
    expect(rig.cameras.every((camera) => camera.type === 'sim-camera')).toBe(true);
  });

  test('every problem is reported with its path, not only the first', () => {
    const text = withChange((rig) => {
      rig.cameras[1].fps_hz = 'thirty';
      rig.cameras[2].name = 'front';
      rig.safety.workspace_max_m[2] = -1;
      delete rig.arm;
    });
    const { issues } = checkRigText(text);
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['arm', 'cameras[1].fps_hz']));
    // Cross-field checks run once the shape is right.
    const cross = checkRigText(
      withChange((rig) => {
        rig.cameras[2].name = 'front';
        rig.safety.workspace_max_m[2] = -1;
        delete rig.cameras[0].intrinsics;
      }),
    ).issues;
    expect(cross).toEqual(
      expect.arrayContaining([
        { path: 'cameras[2].name', message: 'camera name "front" is used twice' },
        { path: 'safety.workspace_max_m[2]', message: 'workspace max (-1 m) must be greater than min (0 m) on axis z' },
        expect.objectContaining({ path: 'cameras[0].intrinsics', message: expect.stringMatching(/depth camera needs intrinsics/) }),
      ]),
    );
  });

  test('JSON syntax errors give the line and column', () => {
    const text = validText.replace('"name": "Simulated', '"name" "Simulated');
    const [issue] = checkRigText(text).issues;
    expect(issue?.path).toBe('(root)');
    expect(issue?.message).toMatch(/not valid JSON \(line 3, column \d+\)/);
  });

  test('a bad rig file names the file, every bad field and the fix', () => {
    const path = join(tempDir(), 'my-rig.json');
    writeFileSync(
      path,
      withChange((rig) => (rig.recording.fps_hz = 0)),
    );
    const error = caught(() => loadRigFile(path));
    expect(error).toBeInstanceOf(StudioError);
    expect(error.message).toMatch(`the rig config ${path} is invalid`);
    expect(error.message).toMatch('recording.fps_hz');
    expect(error.fix).toMatch(path);
    expect(caught(() => loadRigFile(join(tempDir(), 'missing.json'))).message).toMatch(/cannot read the rig config/);
  });

  test('resolution order: --rig, then DATA_DIR/rig.json, then the built-in simulated rig', () => {
    const dataDir = tempDir();
    expect(resolveRig({ dataDir }).source).toBe(DEFAULT_RIG_SOURCE);
    const inDataDir = join(dataDir, 'rig.json');
    writeFileSync(
      inDataDir,
      withChange((rig) => (rig.name = 'Lab bench 2')),
    );
    expect(resolveRig({ dataDir })).toMatchObject({ source: inDataDir, config: { name: 'Lab bench 2' } });
    const explicit = join(tempDir(), 'explicit.json');
    writeFileSync(
      explicit,
      withChange((rig) => (rig.name = 'Explicit')),
    );
    expect(resolveRig({ dataDir, rigPath: explicit })).toMatchObject({ source: explicit, config: { name: 'Explicit' } });
  });
});

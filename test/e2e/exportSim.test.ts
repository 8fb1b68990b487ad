import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import simRig from '../../rigs/sim.json';
import { useTempDirs } from '../support/tempDir';

/** Row-major 4×4 of a translation and a unit quaternion (w, x, y, z). */
function poseMatrix(t: number[], [w, x, y, z]: number[]): number[][] {
  const [tx = 0, ty = 0, tz = 0] = t;
  const [qw = 1, qx = 0, qy = 0, qz = 0] = [w, x, y, z];
  return [
    [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw), tx],
    [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw), ty],
    [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy), tz],
    [0, 0, 0, 1],
  ];
}

const STUDIO = resolve('bin/studio.js');

function studio(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [STUDIO, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function python(script: string, ...args: string[]): string {
  const result = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python failed (install the readers with \`npm run test:deps\`):\n${result.stderr}`);
  return result.stdout;
}

/**
 * The whole path a user takes: record the expert on the simulated rig, export in every format, and
 * read each dataset back with the validator and independent readers.
 */
describe('export sim-recorded episodes', () => {
  const tempDir = useTempDirs();

  test('lerobot, lerobot-v2.1, robomimic and gwm exports of sim episodes are valid and readable', () => {
    const dataDir = tempDir();
    const recorded = studio(
      'record',
      '--sim',
      '--expert',
      '--episodes',
      '2',
      '--seed',
      '3',
      '--image-size',
      '64x48',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(recorded.status, recorded.stderr).toBe(0);
    const out = tempDir();

    for (const format of ['lerobot', 'lerobot-v2.1', 'gwm'] as const) {
      const path = join(out, format);
      const exported = studio('export', '--format', format, '--out', path, '--vcodec', 'h264', '--data-dir', dataDir);
      expect(exported.status, `${format}: ${exported.stderr}`).toBe(0);
      expect(existsSync(path)).toBe(true);
      const validated = studio('export', 'validate', path, '--json');
      expect(validated.status, `${format}: ${validated.stdout}${validated.stderr}`).toBe(0);
    }

    // LeRobot v3: pyarrow reads the frames; state and actions have the recorded lengths.
    const lerobot = JSON.parse(
      python(
        'import sys, json, glob, pyarrow.parquet as pq\n' +
          'root = sys.argv[1]\n' +
          't = pq.read_table(sorted(glob.glob(root + "/data/*/*.parquet"))[0])\n' +
          'info = json.load(open(root + "/meta/info.json"))\n' +
          'print(json.dumps({"rows": t.num_rows, "episodes": sorted(set(t.column("episode_index").to_pylist())), "state": len(t.column("observation.state")[0].as_py()), "action": len(t.column("action")[0].as_py()), "fps": info["fps"], "cameras": sorted(k for k in info["features"] if k.startswith("observation.images."))}))',
        join(out, 'lerobot'),
      ),
    ) as { rows: number; episodes: number[]; state: number; action: number; fps: number; cameras: string[] };
    expect(lerobot).toMatchObject({
      episodes: [0, 1],
      state: 8,
      action: 7,
      cameras: ['observation.images.front', 'observation.images.side', 'observation.images.wrist'],
    });
    expect(lerobot.rows).toBeGreaterThan(2 * 8 * lerobot.fps);

    // robomimic: h5py reads the demos with their actions and images.
    const hdf5 = join(out, 'sim.hdf5');
    const robomimic = studio('export', '--format', 'robomimic', '--out', hdf5, '--data-dir', dataDir);
    expect(robomimic.status, robomimic.stderr).toBe(0);
    const demos = JSON.parse(
      python(
        'import sys, json, h5py\nf = h5py.File(sys.argv[1], "r")\nd = f["data"]\nprint(json.dumps({"demos": sorted(d.keys()), "total": int(d.attrs["total"]), "actions": list(d["demo_0"]["actions"].shape)}))',
        hdf5,
      ),
    ) as { demos: string[]; total: number; actions: number[] };
    expect(demos.demos).toEqual(['demo_0', 'demo_1']);
    expect(demos.actions[1]).toBe(7);

    // GWM: the index names both fixed RGB-D cameras with calibration, and the outcome of each episode.
    const index = JSON.parse(readFileSync(join(out, 'gwm', 'index.json'), 'utf8')) as {
      cameras: Record<string, { intrinsics: unknown; world_from_camera: unknown }>;
      episodes: { success?: boolean; outcome?: string }[];
    };
    expect(Object.keys(index.cameras).sort()).toEqual(['front', 'side']);
    // The calibration is the rig's (rigs/sim.json), intrinsics scaled to the recorded image size.
    const scale = 64 / 192;
    for (const [name, camera] of Object.entries(index.cameras)) {
      const spec = simRig.cameras.find((c) => c.name === name)!;
      const { fx_px, fy_px, cx_px, cy_px } = spec.intrinsics;
      const intrinsics = camera.intrinsics as Record<string, number>;
      expect(Object.keys(intrinsics).sort()).toEqual(['cx_px', 'cy_px', 'fx_px', 'fy_px']);
      expect(intrinsics.fx_px).toBeCloseTo(fx_px * scale, 3);
      expect(intrinsics.fy_px).toBeCloseTo(fy_px * scale, 3);
      expect(intrinsics.cx_px).toBeCloseTo(cx_px * scale, 3);
      expect(intrinsics.cy_px).toBeCloseTo(cy_px * scale, 3);
      const expected = poseMatrix(spec.world_from_camera!.translation_m, spec.world_from_camera!.rotation_wxyz);
      const actual = camera.world_from_camera as number[][];
      expect(actual).toHaveLength(4);
      actual.forEach((row, i) =>
        row.forEach((v, j) => expect(v, `${name} world_from_camera[${i}][${j}]`).toBeCloseTo(expected[i]![j]!, 4)),
      );
    }
    const outcomes = recorded.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { success: boolean }).success);
    expect(index.episodes.map((e) => e.success)).toEqual(outcomes);

    // Ground truth for the world model's scene flow: segmentation ids map through the legend to bodies
    // whose poses are recorded at every frame; the cube's row agrees with the object pose stream.
    const truth = JSON.parse(
      python(
        `import sys, json, numpy as np
root = sys.argv[1]
index = json.load(open(root + '/index.json'))
e = index['episodes'][0]
def load(name):
    a = e['arrays'][name]
    return np.fromfile(root + '/' + a['file'], dtype=np.dtype(a['dtype'])).reshape(a['shape'])
seg = load('seg_front'); bodies = load('priv_body_poses'); obj = load('priv_object_poses')
legend = {entry['id']: entry['body'] for entry in index['segmentation_legend']}
seen = sorted({legend[int(v) - 1] for v in np.unique(seg) if v > 0})
cube = index['bodies'].index('cube')
print(json.dumps({'seg': list(seg.shape), 'frames': e['num_frames'], 'seen': seen, 'bodies': list(bodies.shape), 'names': len(index['bodies']),
  'cube_err_m': float(np.abs(bodies[:, cube, :3] - obj[:, 0, :3]).max()), 'has': sorted(k for k in e['arrays'] if k in ('priv_grasped', 'priv_object_target_distance_m')),
  'segmentation': index['cameras']['front']['segmentation']}))`,
        join(out, 'gwm'),
      ),
    ) as {
      seg: number[];
      frames: number;
      seen: string[];
      bodies: number[];
      names: number;
      cube_err_m: number;
      has: string[];
      segmentation: boolean;
    };
    expect(truth.segmentation).toBe(true);
    expect(truth.seg).toEqual([truth.frames, 48, 64]);
    expect(truth.seen).toEqual(expect.arrayContaining(['cube', 'world', 'link0']));
    expect(truth.bodies).toEqual([truth.frames, truth.names, 7]);
    expect(truth.cube_err_m).toBeLessThan(1e-5);
    expect(truth.has).toEqual(['priv_grasped', 'priv_object_target_distance_m']);
  }, 180_000);

  test('world-model data from rigs/sim-gwm.json: one action meaning, chunk-aligned exploration, labels, successes at a chunk boundary', () => {
    const dataDir = tempDir();
    const recorded = studio(
      'record',
      '--sim',
      '--expert',
      '--rig',
      resolve('rigs/sim-gwm.json'),
      '--episodes',
      '4',
      '--seed',
      '4242',
      '--image-size',
      '48x48',
      '--tag',
      'noise-default,batch-a',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(recorded.status, recorded.stderr).toBe(0);
    const lines = recorded.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { steps: number; success: boolean });
    const info = JSON.parse(studio('db', 'info', '--json', '--data-dir', dataDir).stdout) as {
      episodes: { duration_s: number; tags: string[] }[];
    };
    expect(info.episodes.map((e) => e.duration_s)).toEqual(lines.map((l) => l.steps / 10));
    expect(info.episodes.every((e) => e.tags.join() === 'batch-a,noise-default')).toBe(true);
    const out = join(tempDir(), 'gwm');
    const exported = studio('export', '--format', 'gwm', '--out', out, '--data-dir', dataDir);
    expect(exported.status, exported.stderr).toBe(0);
    const validated = studio('export', 'validate', out, '--json');
    expect(validated.status, validated.stdout).toBe(0);
    const read = JSON.parse(
      python(
        `import sys, json, numpy as np
root = sys.argv[1]
index = json.load(open(root + '/index.json'))
out = {'index': {k: v for k, v in index.items() if k not in ('episodes', 'segmentation_legend', 'bodies')}, 'episodes': []}
for e in index['episodes']:
    def load(name):
        a = e['arrays'][name]
        return np.fromfile(root + '/' + a['file'], dtype=np.dtype(a['dtype'])).reshape(a['shape'])
    a, step_explore, chunk_explore = load('actions'), load('action_explore'), load('chunk_explore')
    success, cf, phase, state = load('priv_success')[:, 0], load('chunk_frame'), load('phase'), load('state')
    quats = np.concatenate([load(n)[..., 3:7].reshape(-1, 4) for n in ('priv_body_poses', 'priv_object_poses', 'ee_pose', 'expert_target_pose', 'priv_target_pose')])
    out['episodes'].append({'operator': e['operator'], 'tags': e['tags'], 'success': e['success'], 'K': e['num_chunks'], 'duration_s': e['duration_s'],
      'policy': e['policy'], 'target': e['target'] is not None, 'max_step_m': float(np.linalg.norm(a[..., :3], axis=-1).max()), 'max_turn_rad': float(np.linalg.norm(a[..., 3:6], axis=-1).max()),
      'mixed_chunks': int(sum(len(set(row.tolist())) > 1 for row in step_explore)), 'chunk_explore': chunk_explore.tolist(),
      'success_at_boundaries': success[cf].tolist(), 'success_frames': int(success.sum()), 'phases': sorted(set(phase.tolist())),
      'width': [float(state[:, -1].min()), float(state[:, -1].max())], 'quat_err': float(np.abs(np.linalg.norm(quats, axis=-1) - 1).max())})
print(json.dumps(out))`,
        out,
      ),
    ) as { index: Record<string, any>; episodes: Record<string, any>[] };
    expect(read.index).toMatchObject({
      version: 2,
      phase_names: ['settle', 'approach', 'descend', 'close', 'lift', 'transport', 'lower', 'release', 'retreat', 'rest'],
    });
    expect(read.index.actions).toMatchObject({
      source: 'action.executed',
      semantics: 'delta_from_measured',
      max_translation_m: 0.025,
      max_rotation_rad: 0.1,
    });
    expect(
      Object.fromEntries(Object.entries(read.index.cameras).map(([name, camera]) => [name, (camera as { role: string }).role])),
    ).toEqual({ front: 'train', side: 'train', novel: 'eval' });
    expect(read.index.privileged).toContain('sim.target_pose');
    let chunks = 0,
      exploring = 0;
    read.episodes.forEach((e, i) => {
      expect(e.operator).toMatch(/^expert grasp_offset_m=0.012 .*explore_fraction=0.2 /);
      expect(e.tags).toEqual(['batch-a', 'noise-default']);
      expect(e.policy).toMatchObject({
        kind: 'scripted-expert',
        noise: { explore_fraction: 0.2 },
        motion: { chunk_length: 8 },
        run_seed: 4242,
        episode: i,
      });
      expect(e.target).toBe(true);
      // Every step is a Δ within the speed limit (2.5 cm, 0.1 rad at 10 Hz).
      expect(e.max_step_m).toBeLessThanOrEqual(0.025 + 1e-6);
      expect(e.max_turn_rad).toBeLessThanOrEqual(0.1 + 1e-6);
      // Exploration comes in whole chunks of the export's grid; every recorded step is in some chunk.
      expect(e.mixed_chunks).toBe(0);
      expect(e.K * 8).toBe(lines[i]!.steps);
      expect(e.duration_s).toBeCloseTo(lines[i]!.steps / 10, 9);
      chunks += e.K;
      exploring += (e.chunk_explore as number[]).reduce((n, v) => n + v, 0);
      // The outcome is what the last chunk boundary shows: a success is always seen at a boundary.
      expect((e.success_at_boundaries as number[]).at(-1)).toBe(e.success ? 1 : 0);
      expect(e.success).toBe(lines[i]!.success);
      expect(e.phases).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(e.width[0]).toBeGreaterThanOrEqual(0);
      expect(e.width[1]).toBeLessThanOrEqual(0.08 + 1e-6);
      expect(e.quat_err).toBeLessThan(1e-3);
    });
    expect(exploring / chunks).toBeGreaterThan(0.08);
    expect(exploring / chunks).toBeLessThan(0.35);
  }, 240_000);
});

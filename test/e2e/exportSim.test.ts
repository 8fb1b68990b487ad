import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { useTempDirs } from '../support/tempDir';

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
    const recorded = studio('record', '--sim', '--expert', '--episodes', '2', '--seed', '3', '--image-size', '64x48', '--json', '--data-dir', dataDir);
    expect(recorded.status, recorded.stderr).toBe(0);
    const out = tempDir();

    for (const format of ['lerobot', 'lerobot-v2.1', 'gwm'] as const) {
      const path = join(out, format);
      const exported = studio('export', '--format', format, '--out', path, '--vcodec', 'h264', '--data-dir', dataDir);
      expect(exported.status, `${format}: ${exported.stderr}`).toBe(0);
      expect(existsSync(path)).toBe(true);
      if (format !== 'gwm') {
        const validated = studio('export', 'validate', path, '--json');
        expect(validated.status, `${format}: ${validated.stdout}${validated.stderr}`).toBe(0);
      }
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
    expect(lerobot).toMatchObject({ episodes: [0, 1], state: 8, action: 7, cameras: ['observation.images.front', 'observation.images.side', 'observation.images.wrist'] });
    expect(lerobot.rows).toBeGreaterThan(2 * 8 * lerobot.fps);

    // robomimic: h5py reads the demos with their actions and images.
    const hdf5 = join(out, 'sim.hdf5');
    const robomimic = studio('export', '--format', 'robomimic', '--out', hdf5, '--data-dir', dataDir);
    expect(robomimic.status, robomimic.stderr).toBe(0);
    const demos = JSON.parse(
      python('import sys, json, h5py\nf = h5py.File(sys.argv[1], "r")\nd = f["data"]\nprint(json.dumps({"demos": sorted(d.keys()), "total": int(d.attrs["total"]), "actions": list(d["demo_0"]["actions"].shape)}))', hdf5),
    ) as { demos: string[]; total: number; actions: number[] };
    expect(demos.demos).toEqual(['demo_0', 'demo_1']);
    expect(demos.actions[1]).toBe(7);

    // GWM: the index names both fixed RGB-D cameras with calibration, and the outcome of each episode.
    const index = JSON.parse(readFileSync(join(out, 'gwm', 'index.json'), 'utf8')) as { cameras: Record<string, { intrinsics: unknown; world_from_camera: unknown }>; episodes: { success?: boolean; outcome?: string }[] };
    expect(Object.keys(index.cameras).sort()).toEqual(['front', 'side']);
    for (const camera of Object.values(index.cameras)) {
      expect(camera.intrinsics).toBeTruthy();
      expect(camera.world_from_camera).toBeTruthy();
    }
    const outcomes = recorded.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { success: boolean }).success);
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
    ) as { seg: number[]; frames: number; seen: string[]; bodies: number[]; names: number; cube_err_m: number; has: string[]; segmentation: boolean };
    expect(truth.segmentation).toBe(true);
    expect(truth.seg).toEqual([truth.frames, 48, 64]);
    expect(truth.seen).toEqual(expect.arrayContaining(['cube', 'world', 'link0']));
    expect(truth.bodies).toEqual([truth.frames, truth.names, 7]);
    expect(truth.cube_err_m).toBeLessThan(1e-5);
    expect(truth.has).toEqual(['priv_grasped', 'priv_object_target_distance_m']);
  }, 180_000);
});

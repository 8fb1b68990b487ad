import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { gwmFrameTimes } from '../../../main/export/gwm';
import { actionNormalization } from '../../../main/export/robomimic';
import { runExport } from '../../../main/export/runExport';
import { validateDataset } from '../../../main/export/validate';
import { STREAMS } from '../../../main/recording/streamNames';
import {
  episodeStartNs,
  expectedStepAction,
  gridStartNs,
  makeJpegFrames,
  recordedActions,
  recordEpisodes,
  type RecordedFixture,
} from '../../support/recordedEpisodes';
import { requirePython, runPython } from './python';

let root: string;
let fixture: RecordedFixture;

beforeAll(async () => {
  requirePython(['h5py', 'numpy']);
  root = mkdtempSync(join(tmpdir(), 'studio-export-'));
  fixture = await recordEpisodes(join(root, 'data'), {
    jpegFrames: makeJpegFrames(8),
    depth: true,
    privileged: true,
    cameras: ['front', 'side'],
    episodes: [
      { task: 'pick', duration_s: 2.0, outcome: 'success' },
      { task: 'pick', duration_s: 1.8, outcome: 'failure' },
      { task: 'pick', duration_s: 1.7, outcome: 'success' },
    ],
  });
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('robomimic HDF5', () => {
  test('h5py reads demos, obs/next_obs, normalised actions, rewards, dones and masks', async () => {
    const out = join(root, 'demo.hdf5');
    const summary = await runExport({
      format: 'robomimic',
      dataDir: fixture.dataDir,
      out,
      valid_fraction: 0.34,
      split_seed: 1,
      image_size: [32, 24],
    });
    expect((await validateDataset(out)).problems).toEqual([]);
    const read = runPython<any>(
      `import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
d = f['data']
out = {'total': int(d.attrs['total']), 'env_args': json.loads(d.attrs['env_args']), 'norm': json.loads(d.attrs['action_normalization']),
       'demos': sorted(d.keys(), key=lambda k: int(k[5:])), 'masks': {k: [e.decode('utf-8') for e in np.array(f['mask/' + k][:])] for k in f['mask']}}
demo = d['demo_0']
out['num_samples'] = int(demo.attrs['num_samples'])
out['obs'] = {k: list(demo['obs/' + k].shape) for k in demo['obs']}
out['obs_dtype'] = {k: str(demo['obs/' + k].dtype) for k in demo['obs']}
out['next_equal'] = bool(np.array_equal(demo['next_obs/robot0_joint_pos'][:-1], demo['obs/robot0_joint_pos'][1:]))
out['actions'] = demo['actions'][:].tolist()
out['q'] = demo['obs/robot0_joint_pos'][:].tolist()
out['rewards'] = demo['rewards'][:].tolist()
out['dones'] = demo['dones'][:].tolist()
out['rewards_all'] = {k: d[k + '/rewards'][:].tolist() for k in d.keys()}
out['ep_meta'] = json.loads(demo.attrs['ep_meta'])
print(json.dumps(out))`,
      [out],
    );
    expect(read.demos).toEqual(['demo_0', 'demo_1', 'demo_2']);
    expect(read.total).toBe(summary.total_frames);
    expect(read.env_args).toMatchObject({ env_name: 'ForesightStudio-Franka', type: 2 });
    expect(read.env_args.env_kwargs).toBeTypeOf('object');
    expect(read.masks.train.length + read.masks.valid.length).toBe(3);
    expect(read.masks.valid).toEqual(['demo_2']);
    expect(read.masks.success.sort()).toEqual(summary.episodes.flatMap((e, i) => (e.outcome === 'success' ? [`demo_${i}`] : [])).sort());
    const n = summary.episodes[0]!.frames;
    expect(read.num_samples).toBe(n);
    expect(read.obs).toMatchObject({
      robot0_joint_pos: [n, 7],
      robot0_gripper_qpos: [n, 2],
      robot0_eef_pos: [n, 3],
      robot0_eef_quat: [n, 4],
      front_image: [n, 24, 32, 3],
      side_image: [n, 24, 32, 3],
    });
    expect(read.obs_dtype.front_image).toBe('uint8');
    expect(read.next_equal).toBe(true);
    expect(read.dones.at(-1)).toBe(1);
    expect(read.rewards.at(-1)).toBe(summary.episodes[0]!.outcome === 'success' ? 1 : 0);
    for (const name of read.masks.failure) expect(read.rewards_all[name].every((r: number) => r === 0)).toBe(true);
    for (const name of read.masks.success) expect(read.rewards_all[name].at(-1)).toBe(1);
    expect(read.ep_meta).toMatchObject({ task: 'pick', studio_episode_id: summary.episodes[0]!.id });
    // Actions de-normalise to what the database holds (on the 10 Hz grid).
    const flat = (read.actions as number[][]).flat();
    expect(Math.max(...flat.map(Math.abs))).toBeLessThanOrEqual(1);
    const start = episodeStartNs(fixture.dataDir, summary.episodes[0]!.id);
    expect(start).toBeGreaterThan(0n);
    // Each action is the motion of the recorded 20 Hz cycles in its 10 Hz step (from half a recorded
    // period before its grid instant to the next), de-normalised.
    const id = summary.episodes[0]!.id;
    const t0 = gridStartNs(fixture.dataDir, id, [
      STREAMS.armQ,
      STREAMS.gripperWidth,
      STREAMS.actionExecuted,
      STREAMS.armEePose,
      STREAMS.cameraColor('front'),
      STREAMS.cameraColor('side'),
    ]);
    const recorded = recordedActions(fixture.dataDir, id);
    for (let k = 0; k < n; k++) {
      const stepStart = t0 + BigInt(k) * 100_000_000n - 25_000_000n;
      const expected = expectedStepAction(recorded, stepStart, stepStart + 100_000_000n);
      const raw = (read.actions[k] as number[]).map((v, d) => v * read.norm.scale[d] + read.norm.offset[d]);
      raw.forEach((v, d) => expect(v, `action ${k} dim ${d}`).toBeCloseTo(expected[d]!, 4));
    }
    // Each observation is the newest recorded arm.q sample at or before its 10 Hz grid instant.
    const qSamples = recordedActions(fixture.dataDir, id, STREAMS.armQ);
    expect(read.q).toHaveLength(n);
    for (let k = 0; k < n; k++) {
      const instant = t0 + BigInt(k) * 100_000_000n;
      const newest = qSamples.filter((s) => s.t_ns <= instant).at(-1);
      expect(newest, `a q sample at or before step ${k}`).toBeDefined();
      (read.q[k] as number[]).forEach((v, j) => expect(v, `q step ${k} joint ${j}`).toBeCloseTo(newest!.values[j]!, 5));
    }
    // And the recorded samples are the fixture's trajectory, so the comparison above is not vacuous.
    expect(new Set(read.q.map((q: number[]) => q.join(','))).size).toBeGreaterThan(n / 2);
  }, 60_000);

  test('action normalisation keeps zero motion at zero and maps the gripper 0..1 to -1..1', () => {
    const n = actionNormalization(['dx_m', 'gripper'], [-0.02, 0], [0.01, 1]);
    expect(n).toEqual({ scale: [0.02, 0.5], offset: [0, 0.5] });
  });
});

describe('GWM sequences', () => {
  test('frame times merge the 5 Hz grid and the chunk boundaries', () => {
    const { times_ns, boundary, chunks } = gwmFrameTimes(2.0, 10, 8, 5);
    expect(chunks).toBe(2);
    expect(times_ns.map((t) => Number(t) / 1e9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2]);
    expect(boundary.filter((b) => b >= 0)).toEqual([0, 1, 2]);
    const odd = gwmFrameTimes(1.0, 10, 3, 5);
    expect(odd.times_ns.map((t) => Number(t) / 1e9)).toEqual([0, 0.2, 0.3, 0.4, 0.6, 0.8, 0.9, 1]);
  });

  test('numpy reads RGB-D, calibration, chunked actions, outcome and privileged probes', async () => {
    const out = join(root, 'gwm');
    const summary = await runExport({ format: 'gwm', dataDir: fixture.dataDir, out });
    expect((await validateDataset(out)).problems).toEqual([]);
    const read = runPython<any>(
      `import sys, json, numpy as np
root = sys.argv[1]
index = json.load(open(root + '/index.json'))
def load(e, name):
    a = e['arrays'][name]
    return np.fromfile(root + '/' + a['file'], dtype=np.dtype(a['dtype'])).reshape(a['shape'])
e = index['episodes'][0]
rgb = load(e, 'rgb_front'); depth = load(e, 'depth_front'); actions = load(e, 'actions')
print(json.dumps({'index': {k: v for k, v in index.items() if k != 'episodes'}, 'episode': {k: v for k, v in e.items() if k != 'arrays'},
  'rgb': list(rgb.shape), 'rgb_mean': float(rgb.mean()), 'depth': list(depth.shape), 'depth_px': int(depth[0, 10, 20]), 'depth_zero': int(depth[0, 0, 0]),
  'actions': list(actions.shape), 'a': actions.tolist(), 'action_t': load(e, 'action_t_s').tolist(),
  'frame_t': load(e, 'frame_t_s').tolist(), 'chunk_frame': load(e, 'chunk_frame').tolist(),
  'priv': sorted(k for k in e['arrays'] if k.startswith('priv_')), 'obj': load(e, 'priv_object_poses').shape, 'state': list(load(e, 'state').shape),
  'success': [x['success'] for x in index['episodes']]}))`,
      [out],
    );
    expect(read.index).toMatchObject({
      format: 'foresight-gwm-sequences',
      version: 2,
      control_hz: 10,
      chunk_length: 8,
      frame_hz: 5,
      depth_unit: 'mm',
    });
    expect(read.index.cameras.front).toMatchObject({
      width: 96,
      height: 72,
      depth: true,
      moving: false,
      intrinsics: { fx_px: 86.4, cx_px: 48 },
    });
    expect(read.index.cameras.front.world_from_camera[3]).toEqual([0, 0, 0, 1]);
    expect(read.index.cameras.front.world_from_camera[0][3]).toBeCloseTo(1.2, 9);
    expect(read.index.privileged).toEqual(['sim.object_poses', 'sim.gripper_object_contact', 'sim.success']);
    const T = read.episode.num_frames;
    expect(read.episode).toMatchObject({ outcome: 'success', success: true, num_chunks: 2 });
    expect(read.rgb).toEqual([T, 72, 96, 3]);
    expect(read.rgb_mean).toBeGreaterThan(10);
    expect(read.depth).toEqual([T, 72, 96]);
    expect(read.depth_px).toBe(700 + 4 * 10 + 20 + 10 * 0);
    expect(read.depth_zero).toBe(0);
    expect(read.actions).toEqual([2, 8, 7]);
    expect(read.chunk_frame).toEqual([0, 4, 8]);
    expect(read.frame_t[4]).toBeCloseTo(0.8, 9);
    expect(read.obj).toEqual([T, 1, 7]);
    expect(read.state).toEqual([T, 8]);
    expect(read.priv).toEqual(['priv_gripper_object_contact', 'priv_object_poses', 'priv_success']);
    expect(read.success).toEqual(summary.episodes.map((e) => e.outcome === 'success'));
    // Actions at 10 Hz from a 20 Hz recording: each is the motion of the two recorded cycles in its step.
    const id = summary.episodes[0]!.id;
    const names = [
      STREAMS.armQ,
      STREAMS.gripperWidth,
      STREAMS.actionExecuted,
      STREAMS.armEePose,
      ...['front', 'side'].flatMap((c) => [STREAMS.cameraColor(c), STREAMS.cameraDepth(c)]),
    ];
    const t0 = gridStartNs(fixture.dataDir, id, names);
    const recorded = recordedActions(fixture.dataDir, id);
    const flat = read.a[0] as number[][];
    flat.forEach((a, i) => {
      const t = read.action_t[0][i] as number;
      expect(t).toBeCloseTo(i / 10, 9);
      const stepStart = t0 + BigInt(i) * 100_000_000n - 25_000_000n;
      const expected = expectedStepAction(recorded, stepStart, stepStart + 100_000_000n);
      a.forEach((v, d) => expect(v, `action ${i} dim ${d}`).toBeCloseTo(expected[d]!, 5));
    });
    // Not recorded by the scripted expert: no labels, no declared action meaning; cameras default to training.
    expect(read.index).toMatchObject({ phase_names: null, actions: { semantics: null, max_translation_m: null } });
    expect(read.index.cameras.front.role).toBe('train');
    expect(read.episode).toMatchObject({ policy: null });
  }, 60_000);

  test('the validator rejects a pose whose quaternion is not unit length, naming episode, array, frame and fix', async () => {
    const out = join(root, 'gwm-bad-quat');
    await runExport({ format: 'gwm', dataDir: fixture.dataDir, out });
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as {
      episodes: { arrays: Record<string, { file: string; shape: number[] }> }[];
    };
    const poses = index.episodes[1]!.arrays.priv_object_poses!;
    const file = join(out, poses.file);
    const bytes = readFileSync(file);
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    values.fill(0, 3 * 7 + 3, 3 * 7 + 7); // frame 3: quaternion (0, 0, 0, 0)
    writeFileSync(file, new Uint8Array(values.buffer));
    const report = await validateDataset(out);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^episode 1 \(studio episode #\d+\): priv_object_poses has 1 pose\(s\) whose quaternion is not unit length, first at frame 3, row 0: quaternion \(0, 0, 0, 0\), \|q\| = 0\.0000\. Fix: re-record/,
      ),
    ]);
  }, 60_000);
});

describe('studio export (CLI)', () => {
  test('dry run, export and validate', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: () => {} };
    expect(
      await runCli(
        [
          'export',
          '--data-dir',
          fixture.dataDir,
          '--format',
          'lerobot',
          '--out',
          join(root, 'cli'),
          '--outcome',
          'success',
          '--dry-run',
          '--json',
        ],
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(lines.pop()!)).toMatchObject({ dry_run: true, total_frames: expect.any(Number) });
    expect(
      await runCli(
        [
          'export',
          '--data-dir',
          fixture.dataDir,
          '--format',
          'lerobot-v2.1',
          '--out',
          join(root, 'cli'),
          '--vcodec',
          'h264',
          '--cameras',
          'front',
          '--episodes',
          String(fixture.ids[0]),
        ],
        io,
      ),
    ).toBe(0);
    expect(lines.join('')).toMatch(/exported 1 episodes .* as lerobot-v2.1/);
    expect(await runCli(['export', 'validate', join(root, 'cli')], io)).toBe(0);
    expect(lines.pop()).toMatch(/^ok: lerobot-v2.1, 1 episodes/);
    expect(await runCli(['export', 'validate', join(root, 'nothing-here')], io)).toBe(1);
    expect(
      await runCli(['export', '--data-dir', fixture.dataDir, '--format', 'zarr', '--out', 'x'], { out: () => {}, err: () => {} }),
    ).toBe(2);
  }, 60_000);
});

import { readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { frankaForwardKinematics } from '../../../shared/robot/frankaKinematics';
import { mat4Rotation, mat4Translation, rotationErrorAxisAngle } from '../../../shared/robot/rotation';
import type { ArmState } from '../../../main/devices/types';
import { actionsOverSteps } from '../../../main/export/actionSteps';
import { readLowdim } from '../../../main/export/episodeFrames';
import { EpisodeReader, gridTime, planStreams } from '../../../main/export/episodeSource';
import { runExport } from '../../../main/export/runExport';
import { Recorder } from '../../../main/recording/recorder';
import { actionVector } from '../../../main/recording/rigTap';
import { float64Bytes, type StreamDef } from '../../../main/recording/streamDef';
import { ACTION_NAMES, armStreams, STREAMS } from '../../../main/recording/streamNames';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import { openStore } from '../../../main/store/database';
import { ManualClock } from '../../support/manualClock';
import {
  expectedStepAction,
  gridStartNs,
  makeJpegFrames,
  recordedActions,
  recordEpisodes,
  type RecordedFixture,
} from '../../support/recordedEpisodes';

const MS = 1_000_000n;

describe('actions over export steps', () => {
  /** 100 Hz actions on an exact 10 ms grid: +1 mm x and +0.01 rad about z per cycle; the gripper closes at 250 ms. */
  const teleop = Array.from({ length: 50 }, (_, i) => ({ t_ns: BigInt(i) * 10n * MS, values: [0.001, 0, 0, 0, 0, 0.01, i >= 25 ? 1 : 0] }));

  test('a 100 Hz recording exported at 10 Hz: each step is the motion of its ten cycles, not the command at its instant', () => {
    const instants = [0n, 100n * MS, 200n * MS, 300n * MS, 400n * MS];
    const steps = actionsOverSteps(teleop, instants, 100n * MS, 10n * MS);
    expect([...steps.counts]).toEqual([10, 10, 10, 10, 10]);
    for (let k = 0; k < instants.length; k++) {
      const a = [...steps.values.subarray(k * 7, k * 7 + 7)];
      expect(a[0]).toBeCloseTo(0.01, 12);
      expect(a[5]).toBeCloseTo(0.1, 12);
      [1, 2, 3, 4].forEach((d) => expect(a[d]).toBeCloseTo(0, 12));
    }
    // The gripper intent in force at each step's end: the close at 250 ms shows from step 2 on.
    expect(Array.from({ length: 5 }, (_, k) => steps.values[k * 7 + 6])).toEqual([0, 0, 1, 1, 1]);
    expect(steps.capture_ns[0]).toBe(90n * MS);
  });

  test('rotations about different axes compose in order (pre-multiplied), translations add up', () => {
    const mixed = [
      { t_ns: 0n, values: [0.01, 0, 0, 0.3, 0, 0, 0] },
      { t_ns: 10n * MS, values: [0, 0.02, 0, 0, 0.4, 0, 0] },
      { t_ns: 20n * MS, values: [0, 0, -0.01, 0, 0, -0.2, 1] },
    ];
    const steps = actionsOverSteps(mixed, [0n], 30n * MS, 10n * MS);
    const expected = expectedStepAction(mixed, -5n * MS, 25n * MS);
    [...steps.values].forEach((v, d) => expect(v).toBeCloseTo(expected[d]!, 12));
    // Not the plain sum of the axis-angle vectors, and not the last command.
    expect(Math.abs(steps.values[3]! - 0.3)).toBeGreaterThan(1e-3);
  });

  test('at the recorded rate each step is its own command, whatever the capture jitter; faster than recorded, the steps between move nothing', () => {
    const jittered = teleop.map((a, i) => ({
      t_ns: a.t_ns + BigInt((i % 3) - 1) * 2n * MS,
      values: [i * 0.001, 0, 0, 0, 0, 0, a.values[6]!],
    }));
    const instants = teleop.map((a) => a.t_ns);
    const same = actionsOverSteps(jittered, instants, 10n * MS, 10n * MS);
    expect([...same.counts].slice(1)).toEqual(Array(49).fill(1));
    expect(Array.from({ length: 50 }, (_, k) => same.values[k * 7])).toEqual(jittered.map((a) => a.values[0]));
    const faster = actionsOverSteps(teleop.slice(0, 3), [0n, 5n * MS, 10n * MS, 15n * MS], 5n * MS, 10n * MS);
    expect([...faster.counts]).toEqual([1, 0, 1, 0]);
    expect(Array.from({ length: 4 }, (_, k) => faster.values[k * 7])).toEqual([0.001, 0, 0.001, 0]);
  });

  test('no action before a step is a clear error', () => {
    expect(() =>
      actionsOverSteps([{ t_ns: 500n * MS, values: [0, 0, 0, 0, 0, 0, 0] }], [0n], 100n * MS, 10n * MS, 'action.executed'),
    ).toThrow(/"action.executed" has no action before/);
  });
});

describe('exports of a 100 Hz teleop recording', () => {
  let root: string;
  let fixture: RecordedFixture;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'studio-actions-'));
    fixture = await recordEpisodes(join(root, 'data'), {
      jpegFrames: makeJpegFrames(4),
      cameras: ['front'],
      arm_hz: 100,
      camera_hz: 10,
      target_fps: 10,
      episodes: [{ task: 'push', duration_s: 1.7, outcome: 'success' }],
    });
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('LeRobot and robomimic frames (10 Hz) hold the recorded motion of each frame step', () => {
    const store = openStore({ dataDir: fixture.dataDir, appVersion: 'test' });
    try {
      const reader = new EpisodeReader(store.db);
      const id = fixture.ids[0]!;
      const plan = planStreams(reader, id, { cameras: ['front'] });
      const names = [...plan.state, plan.action, plan.eePose!, STREAMS.cameraColor('front')];
      const grid = reader.grid(id, names, 10);
      expect(grid.t0_ns).toBe(gridStartNs(fixture.dataDir, id, names));
      const lowdim = readLowdim(reader, id, plan, grid);
      expect(lowdim.actionNames).toEqual([...ACTION_NAMES]);
      const recorded = recordedActions(fixture.dataDir, id);
      for (let k = 0; k < grid.length; k++) {
        const start = gridTime(grid, k) - 5n * MS; // half a recorded period before the instant
        const expected = expectedStepAction(recorded, start, start + 100n * MS);
        [...lowdim.action.subarray(k * 7, k * 7 + 7)].forEach((v, d) => expect(v, `frame ${k} dim ${d}`).toBeCloseTo(expected[d]!, 6));
      }
      // Ten cycles a step: an exported translation is about ten times a recorded one, never one command.
      const k = 5;
      expect(Math.abs(lowdim.action[k * 7]!)).toBeGreaterThan(5 * Math.abs(recorded.find((a) => a.t_ns >= gridTime(grid, k))!.values[0]!));
    } finally {
      store.close();
    }
  });

  test('GWM actions at control_hz 10 are the motion of each 100 ms step', async () => {
    const out = join(root, 'gwm');
    const summary = await runExport({ format: 'gwm', dataDir: fixture.dataDir, out });
    expect(summary.warnings.filter((w) => /move nothing|in force/.test(w))).toEqual([]);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    const episode = index.episodes[0];
    expect(index.actions).toMatchObject({ recorded_hz: 100, source: 'action.executed' });
    expect(episode.arrays.actions.shape).toEqual([2, 8, 7]);
    const actions = new Float32Array(new Uint8Array(readFileSync(join(out, episode.arrays.actions.file))).buffer);
    const id = fixture.ids[0]!;
    const t0 = gridStartNs(fixture.dataDir, id, [
      STREAMS.armQ,
      STREAMS.gripperWidth,
      STREAMS.actionExecuted,
      STREAMS.armEePose,
      STREAMS.cameraColor('front'),
    ]);
    const recorded = recordedActions(fixture.dataDir, id);
    for (let i = 0; i < 16; i++) {
      const start = t0 + BigInt(i) * 100n * MS - 5n * MS;
      const expected = expectedStepAction(recorded, start, start + 100n * MS);
      [...actions.subarray(i * 7, i * 7 + 7)].forEach((v, d) => expect(v, `step ${i} dim ${d}`).toBeCloseTo(expected[d]!, 5));
    }
  }, 60_000);
});

describe('joint-space commands never go under Cartesian action names', () => {
  const q_rad = [0, -0.785, 0, -2.356, 0, 1.571, 0.785];
  // The arm's own TCP estimate is deliberately off: a joint target's motion comes from the kinematics alone.
  const arm: ArmState = {
    capture_ns: 0n,
    q_rad,
    dq_rad_s: [0, 0, 0, 0, 0, 0, 0],
    base_from_ee: frankaForwardKinematics(q_rad),
    ee_position_m: [0.3, 0, 0.5],
    ee_quaternion_wxyz: [0, 1, 0, 0],
  };

  test("a leader arm's joint target is recorded as the TCP motion it asks for", () => {
    const q = arm.q_rad.map((v, j) => v + (j === 0 ? 0.05 : j === 3 ? 0.04 : 0));
    const action = actionVector({ kind: 'joint_position', q_rad: q }, arm, 0.5);
    const goal = frankaForwardKinematics(q);
    const now = frankaForwardKinematics(arm.q_rad);
    const dp = mat4Translation(goal).map((v, i) => v - mat4Translation(now)[i]!);
    const dr = rotationErrorAxisAngle(mat4Rotation(goal), mat4Rotation(now));
    expect(action).toHaveLength(ACTION_NAMES.length);
    [...dp, ...dr, 0.5].forEach((v, d) => expect(action[d]).toBeCloseTo(v, 12));
    // Not the joint deltas (0.05 rad of joint 1 would read as 5 cm of x).
    expect(action[0]).not.toBeCloseTo(0.05, 3);
    expect(action[6]).toBe(0.5);
    // Every recorded action stream declares its one meaning.
    const declared = armStreams(100).filter((s) => s.name === STREAMS.actionExecuted || s.name === STREAMS.actionRequested);
    expect(declared.map((s) => [s.names, s.meta])).toEqual([
      [ACTION_NAMES, { action_space: 'ee_delta' }],
      [ACTION_NAMES, { action_space: 'ee_delta' }],
    ]);
  });

  /** One episode recorded with the action streams as given and the session's rig config. */
  async function recordWith(dataDir: string, actionStreams: StreamDef[], rig: unknown): Promise<number> {
    const writer = new InlineWriterClient({ dataDir, appVersion: 'test' });
    const clock = new ManualClock();
    const recorder = new Recorder({ writer, clock });
    const streams = [...armStreams(10).filter((s) => !s.name.startsWith('action.')), ...actionStreams];
    await recorder.startSession({ operator: 'ada', rig_name: 'leader', rig_config_json: JSON.stringify(rig), app_version: 'old' });
    const id = await recorder.startEpisode({ task: 'leader arm', target_fps_hz: 10, streams });
    for (let i = 0; i < 12; i++) {
      const t = clock.advance_ms(100);
      recorder.record(STREAMS.armQ, t, float64Bytes(arm.q_rad));
      recorder.record(STREAMS.gripperWidth, t + 1n, float64Bytes([0.04]));
      for (const s of actionStreams) recorder.record(s.name, t + 2n, float64Bytes([0.01, 0, 0, 0, 0, 0, 0]));
    }
    await recorder.saveEpisode('success');
    await recorder.endSession();
    await writer.close();
    recorder.dispose();
    return id;
  }

  test('an export refuses actions that are (or may be) joint-space, before writing anything, naming the episode and the fix', async () => {
    const root = mkdtempSync(join(tmpdir(), 'studio-joint-'));
    try {
      // Recorded before actions declared their space, with a GELLO leader arm: joint deltas under dx_m … names.
      const legacy = armStreams(10)
        .filter((s) => s.name.startsWith('action.'))
        .map(({ meta: _meta, ...s }) => s);
      const old = await recordWith(join(root, 'old'), legacy, { teleop: [{ type: 'gello' }] });
      for (const format of ['lerobot', 'gwm', 'robomimic'] as const) {
        await expect(runExport({ format, dataDir: join(root, 'old'), out: join(root, `old-${format}`), dry_run: true })).rejects.toThrow(
          new RegExp(`episode ${old} was recorded with a gello leader arm before actions declared their space`),
        );
      }
      // The same undeclared recording from a keyboard rig is Cartesian: it exports.
      await recordWith(join(root, 'keys'), legacy, { teleop: [{ type: 'keyboard' }] });
      expect(
        (await runExport({ format: 'robomimic', dataDir: join(root, 'keys'), out: join(root, 'keys-out'), dry_run: true })).episodes,
      ).toHaveLength(1);
      // A stream that says it holds joint deltas is never written as `action`.
      const joint = legacy.map((s) => ({ ...s, names: ['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7'], meta: { action_space: 'joint_delta' } }));
      await recordWith(join(root, 'joint'), joint, { teleop: [] });
      await expect(
        runExport({ format: 'lerobot', dataDir: join(root, 'joint'), out: join(root, 'joint-out'), dry_run: true }),
      ).rejects.toThrow(/in action space "joint_delta", not the Cartesian actions \(dx_m/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraRig } from '../../../main/sim/cameraRig';
import { SimEngine } from '../../../main/sim/engine';
import type { CycleRecord } from '../../../main/control/controlLoop';
import { builtInSimRig } from '../../../main/config/loadRig';
import { createDeviceRegistry } from '../../../main/devices/catalog';
import { createRigDevices, type RigDevices } from '../../../main/devices/rigDevices';
import { systemClock } from '../../../main/devices/types';
import { ExpertEpisodes } from '../../../main/runtime/expertEpisodes';
import { EXPERT_PHASES, type ExpertNoise } from '../../../main/sim/expert';
import { DEFAULT_EXPERT_MOTION, DEFAULT_EXPERT_NOISE, NOISELESS_EXPERT } from '../../../main/sim/expert';
import { lookAt } from '../../../main/sim/math3d';
import { quaternionFromRotation } from '../../../shared/robot/rotation';
import { ModelLoadError } from '../../../main/sim/modelLoader';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../../../main/sim/sceneXml';

let engine: SimEngine;

beforeAll(async () => {
  engine = await SimEngine.load(DEFAULT_SCENE_XML, DEFAULT_SCENE_NAME);
});

afterAll(async () => {
  engine.dispose();
  await expertRig?.disconnect();
});

/**
 * The expert as the control loop's source on the simulated rig (physics in-process), as `studio sim
 * expert` and `studio record --sim --expert` run it; `onStep` sees each action's cycle.
 */
let expertRig: RigDevices | undefined;
async function runExpertEpisode(options: {
  episode: number;
  seed: number;
  noise: ExpertNoise;
  control_hz: 10;
  onStep?: (step: { phase: string; exploring: boolean; record: CycleRecord }) => void;
}) {
  const rig = builtInSimRig();
  if (expertRig === undefined) {
    expertRig = createRigDevices(
      { ...rig, arm: { type: 'sim-arm', control_hz: options.control_hz, pacing: 'manual', run_in: 'in-process' }, cameras: [], teleop: [] },
      createDeviceRegistry(),
      systemClock,
    );
    await expertRig.connect();
  }
  const run = new ExpertEpisodes(expertRig, {
    seed: options.seed,
    noise: options.noise,
    control_hz: options.control_hz,
    motion: DEFAULT_EXPERT_MOTION,
    safety: rig.safety,
  });
  const result = await run.run(options.episode, {
    cycled: (record, last) => {
      if (!last && record.labels !== undefined)
        options.onStep?.({ phase: EXPERT_PHASES[record.labels.phase]!, exploring: record.labels.exploring, record });
    },
  });
  if (result === null || result.final === undefined) throw new Error('the episode did not run');
  return { ...result, lifted: result.final.lifted, final: result.final };
}

const dist = (a: readonly number[], b: readonly number[]): number => Math.hypot(...a.map((v, i) => v - (b[i] ?? 0)));

describe('sim engine: model and controllers', () => {
  it('puts the TCP at the published home pose, fingers down, and holds it', () => {
    engine.reset(1);
    const home = engine.armReading();
    expect(dist(home.ee_position_m, [0.307, 0, 0.487])).toBeLessThan(0.002);
    // TCP z axis points down: third column of the rotation
    expect(home.base_from_ee[10]).toBeCloseTo(-1, 3);
    engine.advance(0.5);
    expect(dist(engine.armReading().q_rad, home.q_rad)).toBeLessThan(1e-3);
  });

  it('moves by an ee_delta in the base frame and clips oversized deltas with a reason', () => {
    engine.reset(1);
    const start = engine.armReading().ee_position_m;
    const sent = engine.sendArm({ kind: 'ee_delta', translation_m: [0.04, 0, -0.03], rotation_axis_angle_rad: [0, 0, 0] });
    expect(sent.clipped).toBe(false);
    engine.advance(1.5);
    const end = engine.armReading().ee_position_m;
    expect(dist(end, [start[0] + 0.04, start[1], start[2] - 0.03])).toBeLessThan(0.002);

    const big = engine.sendArm({ kind: 'ee_delta', translation_m: [0.3, 0, 0], rotation_axis_angle_rad: [0, 0, 2] });
    expect(big.clipped).toBe(true);
    expect(big.clip_reasons.join(' ')).toMatch(/delta translation.*delta rotation/);
    if (big.sent.kind !== 'ee_delta') throw new Error('kind changed');
    expect(Math.hypot(...big.sent.translation_m)).toBeCloseTo(0.05, 9);
  });

  it('clips joint targets to the datasheet limits and reports which joint', () => {
    engine.reset(1);
    const sent = engine.sendArm({ kind: 'joint_position', q_rad: [0, -0.785, 0, 0.5, 0, 1.571, 0.785] });
    expect(sent.clipped).toBe(true);
    expect(sent.clip_reasons).toEqual([expect.stringMatching(/^joint 4 at upper limit/)]);
    engine.advance(1.5);
    expect(engine.armReading().q_rad[3]).toBeLessThan(-0.0698);
  });

  it('keeps the hand on top of the table when commanded into it (contact, not penetration)', () => {
    engine.reset(1);
    const below = engine.sendArm({
      kind: 'ee_pose',
      position_m: [0.35, 0.3, -0.2],
      quaternion_wxyz: engine.armReading().ee_quaternion_wxyz,
    });
    expect(below.clip_reasons).toContain('workspace z min (0 m)');
    engine.advance(2.5);
    // the fingertips end 0.0125 m past the TCP... the TCP stops within millimetres of the table top
    const z = engine.armReading().ee_position_m[2];
    expect(z).toBeGreaterThan(-0.005);
    expect(z).toBeLessThan(0.03);
  });

  it('opens and closes the gripper within its 0–80 mm range at the rate limit', () => {
    engine.reset(1);
    expect(engine.gripperReading().width_m).toBeCloseTo(0.08, 3);
    const sent = engine.sendGripper({ kind: 'move', width_m: 0.2, speed_m_s: 0.05 });
    expect(sent.clip_reasons).toEqual(['width above 0.08 m']);
    engine.sendGripper({ kind: 'move', width_m: 0.02, speed_m_s: 0.1 });
    engine.advance(0.3);
    const mid = engine.gripperReading().width_m;
    expect(mid).toBeGreaterThan(0.04);
    engine.advance(0.6);
    expect(engine.gripperReading().width_m).toBeCloseTo(0.02, 3);
  });

  it('closing on nothing stops the fingers at 0 mm, opening at 80 mm: never through each other', () => {
    engine.reset(1);
    const raw = () => {
      const v = engine.views.fresh();
      return (v.qpos[7] ?? 0) + (v.qpos[8] ?? 0);
    };
    const seen: number[] = [];
    const rawSeen: number[] = [];
    engine.sendGripper({ kind: 'grasp', width_m: 0.05, speed_m_s: 0.1, force_n: 70, epsilon_inner_m: 0.005, epsilon_outer_m: 0.005 });
    for (let i = 0; i < 150; i++) {
      engine.advance(0.01);
      seen.push(engine.gripperReading().width_m);
      rawSeen.push(raw());
    }
    engine.sendGripper({ kind: 'move', width_m: 0.08, speed_m_s: 0.1 });
    for (let i = 0; i < 150; i++) {
      engine.advance(0.01);
      seen.push(engine.gripperReading().width_m);
      rawSeen.push(raw());
    }
    // Physics itself keeps the Franka Hand's 0–40 mm per finger (within the solver's softness)…
    expect(Math.min(...rawSeen)).toBeGreaterThan(-0.0005);
    expect(Math.max(...rawSeen)).toBeLessThan(0.0805);
    // …and the reading, the one width everything shows and records, is inside the hand's range.
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(0.08);
    expect(seen[149]).toBeLessThan(0.001);
    expect(engine.gripperReading().is_grasped).toBe(false);
  });

  it('body poses stay valid when reading contacts grows the wasm heap (no all-zero samples)', () => {
    engine.reset(1);
    engine.advance(0.2);
    const target = engine as unknown as { contacts: () => unknown };
    const original = target.contacts;
    target.contacts = function (this: SimEngine) {
      // Allocate more than the heap holds, so it must grow and every earlier view detaches.
      const grow = new engine.mj.DoubleBuffer(engine.data.qpos.buffer.byteLength / 8 + 1024);
      grow.delete();
      return original.call(this);
    };
    try {
      const truth = engine.privileged();
      const n = truth.body_poses.length / 7;
      expect(n).toBe(engine.model.nbody);
      for (let b = 0; b < n; b++) expect(Math.hypot(...truth.body_poses.slice(7 * b + 3, 7 * b + 7))).toBeCloseTo(1, 6);
      expect(Math.hypot(...truth.objects[0]!.quaternion_wxyz)).toBeCloseTo(1, 6);
    } finally {
      target.contacts = original;
    }
  });

  it('draws layouts and colours from the seed, reproducibly', () => {
    const a = engine.reset(3),
      b = engine.reset(4),
      a2 = engine.reset(3);
    expect(a2).toEqual(a);
    expect(a.cube_position_m).not.toEqual(b.cube_position_m);
    expect(engine.privileged().objects[0]?.position_m[0]).toBeCloseTo(a.cube_position_m[0], 6);
  });
});

describe('sim engine: task and expert', () => {
  it('the noiseless expert picks, lifts, places and releases the cube: success', async () => {
    const steps: string[] = [];
    const result = await runExpertEpisode({
      episode: 0,
      seed: 7,
      noise: NOISELESS_EXPERT,
      control_hz: 10,
      onStep: (s) => steps.push(s.phase),
    });
    expect(result.lifted).toBe(true);
    expect(result.success).toBe(true);
    expect(result.final.contact.gripper_object).toBe(false);
    expect(result.final.object_target_distance_m).toBeLessThan(0.03);
    expect(result.steps).toBe(steps.length);
    expect(new Set(steps)).toEqual(
      new Set(['settle', 'approach', 'descend', 'close', 'lift', 'transport', 'lower', 'release', 'retreat', 'rest']),
    );
  });

  it('a grasp 4 cm off the cube fails, and the detector says why', async () => {
    const result = await runExpertEpisode({ episode: 0, seed: 7, noise: { ...NOISELESS_EXPERT, grasp_offset_m: 0.04 }, control_hz: 10 });
    expect(result.success).toBe(false);
    expect(result.final.success_detail.inside_target && result.final.lifted).toBe(false);
  });

  it('is deterministic for a seed', async () => {
    const a = await runExpertEpisode({
      episode: 2,
      seed: 5,
      noise: { ...NOISELESS_EXPERT, explore_fraction: 0.3, timing_jitter: 0.2 },
      control_hz: 10,
    });
    const b = await runExpertEpisode({
      episode: 2,
      seed: 5,
      noise: { ...NOISELESS_EXPERT, explore_fraction: 0.3, timing_jitter: 0.2 },
      control_hz: 10,
    });
    expect(b.final.objects[0]?.position_m).toEqual(a.final.objects[0]?.position_m);
    expect(b.steps).toBe(a.steps);
  });
});

describe('sim engine: expert data (one action meaning, chunk-aligned exploration)', () => {
  it('explores in whole chunks on the episode grid, about as often as asked, within the speed limits, and ends on a chunk boundary', async () => {
    const L = DEFAULT_EXPERT_MOTION.chunk_length;
    const maxStep = DEFAULT_EXPERT_MOTION.max_linear_speed_m_s / 10,
      maxTurn = DEFAULT_EXPERT_MOTION.max_angular_speed_rad_s / 10;
    let chunks = 0,
      exploring = 0,
      maxSent = 0,
      maxTurnSent = 0;
    for (let episode = 0; episode < 12; episode++) {
      const flags: boolean[] = [];
      const result = await runExpertEpisode({
        episode,
        seed: 99,
        noise: DEFAULT_EXPERT_NOISE,
        control_hz: 10,
        onStep: (step) => {
          flags.push(step.exploring);
          expect(step.record.safe.requested.kind).toBe('ee_delta');
          const sent = step.record.executed.sent;
          if (sent.kind !== 'ee_delta') throw new Error('the arm took another command kind');
          maxSent = Math.max(maxSent, Math.hypot(...sent.translation_m));
          maxTurnSent = Math.max(maxTurnSent, Math.hypot(...sent.rotation_axis_angle_rad));
        },
      });
      expect(result.steps % L).toBe(0);
      for (let k = 0; k < flags.length / L; k++) {
        const chunk = flags.slice(k * L, (k + 1) * L);
        expect(new Set(chunk).size, `episode ${episode} chunk ${k} mixes exploration and script`).toBe(1);
        chunks++;
        if (chunk[0]) exploring++;
      }
    }
    expect(maxSent).toBeLessThanOrEqual(maxStep + 1e-12);
    expect(maxTurnSent).toBeLessThanOrEqual(maxTurn + 1e-12);
    const fraction = exploring / chunks;
    // 12 seeded episodes, ~300 chunks: the binomial standard deviation is ~0.023.
    expect(chunks).toBeGreaterThan(200);
    expect(Math.abs(fraction - DEFAULT_EXPERT_NOISE.explore_fraction)).toBeLessThan(0.06);
  }, 60_000);

  it('a success is the state after the last chunk: the episode does not end between a success and a chunk boundary', async () => {
    let steps = 0;
    const result = await runExpertEpisode({ episode: 0, seed: 7, noise: NOISELESS_EXPERT, control_hz: 10, onStep: () => steps++ });
    expect(result.success).toBe(true);
    expect(steps % DEFAULT_EXPERT_MOTION.chunk_length).toBe(0);
    expect(result.sim_time_s).toBeCloseTo(steps / 10, 6);
  });
});

describe('sim cameras', () => {
  it('renders the cube where physics puts it: its pixels carry its colour, segmentation id and depth', () => {
    const layout = engine.reset(11);
    const rig = new CameraRig(engine);
    const pose = lookAt([1.3, 0.07, 0.7], [0.47, 0.07, 0.02]);
    rig.add({
      name: 'front',
      width_px: 160,
      height_px: 120,
      fps_hz: 15,
      intrinsics: { fx_px: 138.6, fy_px: 138.6, cx_px: 80, cy_px: 60 },
      mount: { frame: 'world', translation_m: pose.position_m, rotation_wxyz: quaternionFromRotation(pose.rotation) },
    });
    const frame = rig.render('front');
    const cube = engine.privileged().objects[0];
    if (cube === undefined) throw new Error('no cube');
    // the centre of the cube's top face is visible from above
    const top: [number, number, number] = [cube.position_m[0], cube.position_m[1], cube.position_m[2] + 0.025];
    const p = rig.camera('front').project(rig.pose('front'), top);
    const u = Math.floor(p.u),
      v = Math.floor(p.v);
    const i = v * frame.width_px + u;
    expect(frame.segmentation[i]).toBe(engine.ids.cubeGeom);
    expect(Math.abs((frame.depth_mm[i] ?? 0) - p.z * 1000)).toBeLessThan(6); // one pixel of slope on the face
    const rgb = [frame.rgb[3 * i] ?? 0, frame.rgb[3 * i + 1] ?? 0, frame.rgb[3 * i + 2] ?? 0];
    const expected = layout.cube_rgb.map((c) => c * 255);
    // shading scales all channels by one factor: the direction of the colour vector is the cube's
    const cos = rgb.reduce((s, c, k) => s + c * (expected[k] ?? 0), 0) / (Math.hypot(...rgb) * Math.hypot(...expected));
    expect(cos).toBeGreaterThan(0.995);
    // every pixel labelled "cube" is a pixel whose ray really meets the cube: check against mj_ray
    const { mj, model, data } = engine;
    const ids = new mj.IntBuffer(1);
    let checked = 0,
      mismatches = 0,
      maxDepthErr = 0;
    for (let k = 0; k < frame.segmentation.length; k += 7) {
      const ray = rig.camera('front').pixelRay(rig.pose('front'), k % frame.width_px, Math.floor(k / frame.width_px));
      const t = mj.mj_ray(model, data, ray.origin, ray.direction, Uint8Array.from([1, 1, 1, 1, 0, 0]), 1, -1, ids);
      const g = ids.GetView()[0] ?? -1;
      checked++;
      if (g !== frame.segmentation[k]) mismatches++;
      else if (g >= 0) maxDepthErr = Math.max(maxDepthErr, Math.abs(t * 1000 - (frame.depth_mm[k] ?? 0)));
    }
    ids.delete();
    rig.dispose();
    expect(checked).toBeGreaterThan(2000);
    expect(mismatches).toBe(0);
    expect(maxDepthErr).toBeLessThanOrEqual(0.5 + 1e-9); // millimetre rounding
  });

  it('moves the wrist camera with the flange', () => {
    engine.reset(1);
    const rig = new CameraRig(engine);
    rig.add({
      name: 'wrist',
      width_px: 32,
      height_px: 32,
      fps_hz: 15,
      intrinsics: { fx_px: 28, fy_px: 28, cx_px: 16, cy_px: 16 },
      mount: { frame: 'flange', translation_m: [0.03889, -0.03889, 0.025], rotation_wxyz: [0.9119522, -0.1479747, -0.0612931, 0.377743] },
    });
    const before = rig.render('wrist').world_from_camera;
    engine.sendArm({ kind: 'ee_delta', translation_m: [0, 0.05, 0], rotation_axis_angle_rad: [0, 0, 0] });
    engine.advance(1);
    const after = rig.render('wrist').world_from_camera;
    expect((after[13] ?? 0) - (before[13] ?? 0)).toBeCloseTo(0.05, 2);
    rig.dispose();
  });
});

describe('sim model errors', () => {
  it("reports MuJoCo's message with the file, element and line", async () => {
    const broken = DEFAULT_SCENE_XML.replace(
      'type="box" size="0.025 0.025 0.025" mass="0.1"',
      'type="boxx" size="0.025 0.025 0.025" mass="0.1"',
    );
    const error = await SimEngine.load(broken, 'broken_scene.xml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/^broken_scene\.xml: XML Error: invalid keyword: 'boxx'; Element 'geom', line \d+$/);
    const malformed = await SimEngine.load(DEFAULT_SCENE_XML.replace('</worldbody>', '</worldbod>'), 'malformed.xml').catch(
      (e: unknown) => e,
    );
    expect((malformed as Error).message).toMatch(/^malformed\.xml: .*XML_ERROR_MISMATCHED_ELEMENT.*Line number=\d+/);
  });
});

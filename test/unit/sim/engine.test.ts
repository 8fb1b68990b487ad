import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraRig } from '../../../main/sim/cameraRig';
import { SimEngine } from '../../../main/sim/engine';
import { runExpertEpisode } from '../../../main/sim/episode';
import { NOISELESS_EXPERT } from '../../../main/sim/expert';
import { lookAt } from '../../../main/sim/math3d';
import { quaternionFromRotation } from '../../../main/devices/kinematics/rotation';
import { ModelLoadError } from '../../../main/sim/modelLoader';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../../../main/sim/sceneXml';

let engine: SimEngine;

beforeAll(async () => {
  engine = await SimEngine.load(DEFAULT_SCENE_XML, DEFAULT_SCENE_NAME);
});

afterAll(() => engine.dispose());

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
    const below = engine.sendArm({ kind: 'ee_pose', position_m: [0.35, 0.3, -0.2], quaternion_wxyz: engine.armReading().ee_quaternion_wxyz });
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

  it('draws layouts and colours from the seed, reproducibly', () => {
    const a = engine.reset(3), b = engine.reset(4), a2 = engine.reset(3);
    expect(a2).toEqual(a);
    expect(a.cube_position_m).not.toEqual(b.cube_position_m);
    expect(engine.privileged().objects[0]?.position_m[0]).toBeCloseTo(a.cube_position_m[0], 6);
  });
});

describe('sim engine: task and expert', () => {
  it('the noiseless expert picks, lifts, places and releases the cube: success', () => {
    const steps: string[] = [];
    const result = runExpertEpisode(engine, { episode: 0, seed: 7, noise: NOISELESS_EXPERT, control_hz: 10, onStep: (s) => steps.push(s.phase) });
    expect(result.lifted).toBe(true);
    expect(result.success).toBe(true);
    expect(result.final.contact.gripper_object).toBe(false);
    expect(result.final.object_target_distance_m).toBeLessThan(0.03);
    expect(result.steps).toBe(steps.length);
    expect(new Set(steps)).toEqual(new Set(['settle', 'approach', 'descend', 'close', 'lift', 'transport', 'lower', 'release', 'retreat', 'rest']));
  });

  it('a grasp 4 cm off the cube fails, and the detector says why', () => {
    const result = runExpertEpisode(engine, { episode: 0, seed: 7, noise: { ...NOISELESS_EXPERT, grasp_offset_m: 0.04 }, control_hz: 10 });
    expect(result.success).toBe(false);
    expect(result.final.success_detail.inside_target && result.final.lifted).toBe(false);
  });

  it('is deterministic for a seed', () => {
    const a = runExpertEpisode(engine, { episode: 2, seed: 5, noise: { ...NOISELESS_EXPERT, explore_prob: 0.3, timing_jitter: 0.2 }, control_hz: 10 });
    const b = runExpertEpisode(engine, { episode: 2, seed: 5, noise: { ...NOISELESS_EXPERT, explore_prob: 0.3, timing_jitter: 0.2 }, control_hz: 10 });
    expect(b.final.objects[0]?.position_m).toEqual(a.final.objects[0]?.position_m);
    expect(b.steps).toBe(a.steps);
  });
});

describe('sim cameras', () => {
  it('renders the cube where physics puts it: its pixels carry its colour, segmentation id and depth', () => {
    const layout = engine.reset(11);
    const rig = new CameraRig(engine);
    const pose = lookAt([1.3, 0.07, 0.7], [0.47, 0.07, 0.02]);
    rig.add({ name: 'front', width_px: 160, height_px: 120, fps_hz: 15, intrinsics: { fx_px: 138.6, fy_px: 138.6, cx_px: 80, cy_px: 60 }, mount: { frame: 'world', translation_m: pose.position_m, rotation_wxyz: quaternionFromRotation(pose.rotation) } });
    const frame = rig.render('front');
    const cube = engine.privileged().objects[0];
    if (cube === undefined) throw new Error('no cube');
    // the centre of the cube's top face is visible from above
    const top: [number, number, number] = [cube.position_m[0], cube.position_m[1], cube.position_m[2] + 0.025];
    const p = rig.camera('front').project(rig.pose('front'), top);
    const u = Math.floor(p.u), v = Math.floor(p.v);
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
    let checked = 0, mismatches = 0, maxDepthErr = 0;
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
    rig.add({ name: 'wrist', width_px: 32, height_px: 32, fps_hz: 15, intrinsics: { fx_px: 28, fy_px: 28, cx_px: 16, cy_px: 16 }, mount: { frame: 'flange', translation_m: [0.03889, -0.03889, 0.025], rotation_wxyz: [0.9119522, -0.1479747, -0.0612931, 0.377743] } });
    const before = rig.render('wrist').world_from_camera;
    engine.sendArm({ kind: 'ee_delta', translation_m: [0, 0.05, 0], rotation_axis_angle_rad: [0, 0, 0] });
    engine.advance(1);
    const after = rig.render('wrist').world_from_camera;
    expect((after[13] ?? 0) - (before[13] ?? 0)).toBeCloseTo(0.05, 2);
    rig.dispose();
  });
});

describe('sim model errors', () => {
  it('reports MuJoCo\'s message with the file, element and line', async () => {
    const broken = DEFAULT_SCENE_XML.replace('type="box" size="0.025 0.025 0.025" mass="0.1"', 'type="boxx" size="0.025 0.025 0.025" mass="0.1"');
    const error = await SimEngine.load(broken, 'broken_scene.xml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/^broken_scene\.xml: XML Error: invalid keyword: 'boxx'; Element 'geom', line \d+$/);
    const malformed = await SimEngine.load(DEFAULT_SCENE_XML.replace('</worldbody>', '</worldbod>'), 'malformed.xml').catch((e: unknown) => e);
    expect((malformed as Error).message).toMatch(/^malformed\.xml: .*XML_ERROR_MISMATCHED_ELEMENT.*Line number=\d+/);
  });
});

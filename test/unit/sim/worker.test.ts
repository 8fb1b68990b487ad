import { afterEach, describe, expect, it } from 'vitest';
import { createDeviceRegistry } from '../../../main/devices/catalog';
import { createRigDevices, type RigDevices } from '../../../main/devices/rigDevices';
import type { SimArm } from '../../../main/devices/sim/simArm';
import type { CameraFrame, Clock } from '../../../main/devices/types';
import { cameraSpecFrom, simCameraOptions } from '../../../main/devices/sim/register';
import { CameraRig } from '../../../main/sim/cameraRig';
import { SimEngine } from '../../../main/sim/engine';
import { ModelLoadError } from '../../../main/sim/modelLoader';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../../../main/sim/sceneXml';
import type { SimEvent } from '../../../main/sim/simRunner';
import { SimWorkerClient } from '../../../main/sim/workerClient';
import { rigConfigSchema, type RigConfig } from '../../../shared/rig/rigConfig';
import simRig from '../../../rigs/sim.json';

const fixedClock: Clock = { now_ns: () => 1_000_000_000n };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The default rig with manual pacing and small images, so tests decide when time passes. */
function testRig(runIn: 'worker' | 'in-process'): RigConfig {
  const rig = rigConfigSchema.parse(simRig);
  return {
    ...rig,
    arm: { ...rig.arm, pacing: 'manual', run_in: runIn },
    cameras: rig.cameras.map((camera) => ({
      ...camera,
      width_px: 32,
      height_px: 24,
      intrinsics: { fx_px: 27.7, fy_px: 27.7, cx_px: 16, cy_px: 12 },
    })),
  };
}

describe('sim worker', () => {
  it('runs the engine in a worker thread and turns a crash inside step into a rejected promise and a failure report', async () => {
    const client = new SimWorkerClient();
    cleanups.push(() => client.close());
    const events: SimEvent[] = [];
    client.onSim((event) => events.push(event));
    const failures: Error[] = [];
    client.onFailure((error) => failures.push(error));
    const info = await client.request('init', {
      xml: DEFAULT_SCENE_XML,
      file: DEFAULT_SCENE_NAME,
      seed: 1,
      control_hz: 100,
      pacing: 'manual',
      anchor_ns: 0n,
    });
    expect(info.timestep_s).toBe(0.001);
    expect(info.legend.find((entry) => entry.geom === 'cube')?.body).toBe('cube');
    const t = await client.request('advance', 0.05);
    expect(t).toBeCloseTo(0.05, 9);
    expect(events.filter((e) => e.type === 'state')).toHaveLength(6); // t = 0, 10, ..., 50 ms

    await client.request('injectFault', null);
    await expect(client.request('advance', 0.01)).rejects.toThrow(/simulation stopped: injected fault/);
    expect(failures).toHaveLength(1);
    await expect(client.request('reset', { seed: 2, anchor_ns: 0n })).rejects.toThrow(/simulation stopped/);
  });

  it('reports a broken model with the file, element and line from the worker', async () => {
    const client = new SimWorkerClient();
    cleanups.push(() => client.close());
    const broken = DEFAULT_SCENE_XML.replace('<joint name="joint3"', '<joint name="joint3" bogus="1"');
    const error = await client
      .request('init', { xml: broken, file: '/rigs/my_scene.xml', seed: 1, control_hz: 100, pacing: 'manual', anchor_ns: 0n })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/^\/rigs\/my_scene\.xml: XML Error: .*Element 'joint', line \d+/);
  });
});

describe('sim devices through the registry', () => {
  async function connected(runIn: 'worker' | 'in-process'): Promise<RigDevices> {
    const devices = createRigDevices(testRig(runIn), createDeviceRegistry(), fixedClock);
    cleanups.push(() => devices.disconnect());
    await devices.connect();
    return devices;
  }

  it('creates sim-arm, sim-gripper and three sim-cameras from the default rig and streams stamped RGB-D frames', async () => {
    const devices = await connected('in-process');
    expect(devices.arm.type).toBe('sim-arm');
    expect(devices.gripper?.type).toBe('sim-gripper');
    expect(devices.cameras.map((c) => c.name)).toEqual(['front', 'side', 'wrist']);
    expect(devices.teleop.map((t) => t.type)).toEqual(['keyboard', 'gamepad']);
    const frames: CameraFrame[] = [];
    for (const camera of devices.cameras) camera.onFrame((frame) => frames.push(frame));
    const arm = devices.arm as SimArm;
    const sent = await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, -0.02], rotation_axis_angle_rad: [0, 0, 0] });
    expect(sent.clipped).toBe(false);
    await arm.session.request('advance', 0.2);
    // 15 fps over 0.2 s: frames at 0, 66.7, 133.3, 200 ms per camera
    expect(frames.filter((f) => f.camera === 'front').map((f) => f.capture_ns)).toEqual([
      1_000_000_000n,
      1_067_000_000n,
      1_134_000_000n,
      1_200_000_000n,
    ]);
    const front = devices.cameras[0]?.latest();
    expect(front?.depth_mm?.length).toBe(32 * 24);
    expect(front?.world_from_camera?.[12]).toBeCloseTo(1.3, 6);
    const state = arm.latest();
    expect(state?.capture_ns).toBe(1_200_000_000n);
    const privileged = arm.privileged();
    expect(privileged?.objects[0]?.name).toBe('cube');
    expect(privileged?.success).toBe(false);
    const grip = await devices.gripper?.sendAction({ kind: 'grasp', width_m: 0.05, speed_m_s: 0.5, force_n: 100 });
    expect(grip?.clip_reasons).toEqual(['speed above 0.1 m/s', 'force above 70 N']);
  });

  it('shows a crash in the worker as a device error, not a dead process', async () => {
    const devices = await connected('worker');
    const arm = devices.arm as SimArm;
    expect(arm.status()).toEqual({ connected: true });
    await arm.session.request('injectFault', null);
    await expect(arm.session.request('advance', 0.01)).rejects.toThrow(/injected fault/);
    expect(arm.status().connected).toBe(false);
    expect(arm.status().error?.message).toMatch(/simulation stopped: injected fault/);
    expect(devices.cameras[0]?.status().error?.message).toMatch(/injected fault/);
    await expect(arm.sendAction({ kind: 'joint_position', q_rad: [0, 0, 0, -1, 0, 1, 0] })).rejects.toThrow(/injected fault/);
  });
});

describe('camera frames drawn by the render worker', () => {
  it('draws a snapshot exactly as the physics thread would have drawn it', async () => {
    const physics = await SimEngine.load(DEFAULT_SCENE_XML, DEFAULT_SCENE_NAME);
    const painter = await SimEngine.load(DEFAULT_SCENE_XML, DEFAULT_SCENE_NAME);
    cleanups.push(async () => {
      physics.dispose();
      painter.dispose();
    });
    physics.reset(5);
    painter.reset(5);
    physics.sendArm({ kind: 'ee_delta', translation_m: [0.03, 0.02, -0.05], rotation_axis_angle_rad: [0, 0, 0.2] });
    physics.advance(0.3);
    const inline = new CameraRig(physics);
    const snapshots = new CameraRig(physics, () => false);
    const remote = new CameraRig(painter);
    for (const entry of testRig('in-process').cameras) {
      const spec = cameraSpecFrom(simCameraOptions.parse(entry));
      inline.add(spec);
      snapshots.add(spec);
      remote.add(spec);
      expect(snapshots.draws(spec.name)).toBe(false);
      const here = inline.render(spec.name);
      const there = remote.renderJob(snapshots.snapshot(spec.name));
      expect(there.sim_time_s).toBe(here.sim_time_s);
      expect(there.world_from_camera).toEqual(here.world_from_camera);
      expect(Buffer.from(there.rgb).equals(Buffer.from(here.rgb))).toBe(true);
      expect(Buffer.from(there.depth_mm.buffer).equals(Buffer.from(here.depth_mm.buffer))).toBe(true);
      expect(Buffer.from(there.segmentation.buffer).equals(Buffer.from(here.segmentation.buffer))).toBe(true);
    }
  });

  it('in real-time pacing, frames come from the render worker, stamped on the studio clock', async () => {
    const rig = testRig('worker');
    const devices = createRigDevices(
      { ...rig, arm: { ...rig.arm, pacing: 'realtime' }, cameras: rig.cameras.slice(0, 1) },
      createDeviceRegistry(),
      { now_ns: () => process.hrtime.bigint() },
    );
    cleanups.push(() => devices.disconnect());
    await devices.connect();
    const frames = await new Promise<CameraFrame[]>((resolve) => {
      const got: CameraFrame[] = [];
      const off = devices.cameras[0]!.onFrame((frame) => {
        got.push(frame);
        if (got.length < 3) return;
        off();
        resolve(got);
      });
    });
    const now = process.hrtime.bigint();
    for (const frame of frames) {
      expect(frame.rgb.length).toBe(32 * 24 * 3);
      // A frame is a render old at most (well under a second), never from the future.
      expect(Number(now - frame.capture_ns) / 1e6).toBeGreaterThanOrEqual(0);
      expect(Number(now - frame.capture_ns) / 1e6).toBeLessThan(1000);
    }
    expect(frames[1]!.capture_ns).toBeGreaterThan(frames[0]!.capture_ns);
  });
});
